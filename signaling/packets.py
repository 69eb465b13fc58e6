"""socket.io packets whose JSON cannot take the server down or leave a client unanswered.

python-socketio decodes each packet with `json.loads`; a payload nested thousands deep
raises RecursionError there, before any handler runs, and the sender waits forever for its
acknowledgement. This packet class turns such a payload into the event UNREADABLE, which
the signaling server answers with `bad_payload` like any other malformed message.
"""

from __future__ import annotations

import json
from typing import Any

from socketio import packet

UNREADABLE = "telemed.unreadable"


class _TolerantJson:
    """The json module, except that unreadable input becomes an UNREADABLE event."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        try:
            return json.loads(text, **kwargs)
        except (RecursionError, ValueError):
            return [UNREADABLE]


# socketio ships no types: its Packet is Any to mypy.
class TolerantPacket(packet.Packet):  # type: ignore[misc]
    json = _TolerantJson

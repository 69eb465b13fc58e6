"""What signaling needs from the protocol writer, as an interface (the media worker's is
`media/gateway.py`)."""

from __future__ import annotations

from typing import Any, Protocol


class ProtocolDrafter(Protocol):
    async def draft(self, consultation_id: str) -> Any: ...

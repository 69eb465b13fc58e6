"""The media worker as signaling sees it: the port every way of carrying media fills (the
worker in this process, the cluster's ends on other nodes, worker processes over Redis)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from clinic.domain import Speaker


class SideEnded(ValueError):
    """The consultation ended while this side's media was being set up."""


class MediaGateway(Protocol):
    """The media worker as signaling sees it. Raises ValueError for unusable SDP or ICE,
    SideEnded when the consultation ended while `answer` set the side up.

    `answer` returns the worker's answer, or None when the worker is another process that
    answers the party itself.
    """

    async def begin(self, consultation: Any) -> None: ...

    async def answer(
        self,
        consultation_id: str,
        speaker: Speaker,
        language: str,
        started_at: float,
        sdp: str,
        sdp_type: str = "offer",
    ) -> Any: ...

    async def add_ice_candidate(
        self, consultation_id: str, speaker: Speaker, candidate: Mapping[str, object]
    ) -> None: ...

    async def end(self, consultation_id: str) -> None: ...

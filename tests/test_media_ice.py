"""Which ICE servers the media worker gathers through: only those it was given."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
from aiortc.rtcicetransport import RTCIceGatherer

from clinic.domain import Segment, Speaker
from media.worker import MediaWorker
from transcription.models import ModelPool


class NoTranscript:
    async def partial(self, consultation_id: str, speaker: Speaker, text: str) -> None:
        pass

    async def segment(self, segment: Segment) -> None:
        pass


class StunListener(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.requests: list[bytes] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.requests.append(data)


async def test_the_worker_asks_no_stun_server_it_was_not_given(
    model_pool: ModelPool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given no ICE servers, aiortc gathers through Google's public STUN server: every
    consultation side would be announced to a third party, and where the firewall drops
    that traffic the answer waits for aioice's timeout. TELEMED_ICE_SERVERS empty means
    none. A listener here stands in for aiortc's default server."""
    loop = asyncio.get_running_loop()
    transport, listener = await loop.create_datagram_endpoint(
        StunListener, local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    monkeypatch.setattr(
        RTCIceGatherer,
        "getDefaultIceServers",
        classmethod(lambda cls: [RTCIceServer(f"stun:127.0.0.1:{port}")]),
    )
    worker = MediaWorker(model_pool, NoTranscript(), tmp_path / "recordings")
    browser = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        browser.addTransceiver("audio", direction="sendonly")
        await browser.setLocalDescription(await browser.createOffer())
        started = time.monotonic()
        answer = await worker.answer(
            "c1", Speaker.PATIENT, "ru", time.time(), browser.localDescription.sdp
        )
        assert "a=candidate:" in answer.sdp  # it gathered, on this host's addresses
        await asyncio.sleep(0.5)  # a request sent late would arrive meanwhile
        assert listener.requests == []
        assert time.monotonic() - started < 5
    finally:
        await worker.end("c1")
        await browser.close()
        transport.close()

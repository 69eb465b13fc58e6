"""Test parties: a socket.io client plus a real aiortc peer sending a WAV file as audio."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

import socketio
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer

EVENTS = (
    "queue.joined", "queue.position", "queue.updated", "consultation.started",
    "consultation.resumed", "answer", "offer", "ice", "caption", "consultation.ended",
    "protocol.ready", "error",
)


class Party:
    def __init__(self, url: str, auth: dict[str, str]) -> None:
        self.url = url
        self.auth = auth
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self._arrived: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.pc: RTCPeerConnection | None = None
        self.player: MediaPlayer | None = None
        for name in EVENTS:
            self.sio.on(name, self._collector(name))

    def _collector(self, name: str):  # type: ignore[no-untyped-def]
        async def collect(data: Any = None) -> None:
            self.events[name].append(data)
            self._arrived[name].set()
        return collect

    async def connect(self) -> None:
        await self.sio.connect(self.url, auth=self.auth, transports=["websocket"],
                               wait_timeout=10)

    async def next(self, name: str, timeout: float = 20.0) -> Any:
        """The next `name` event not yet consumed."""
        seen = getattr(self, "_consumed", {})
        self._consumed = seen
        index = seen.get(name, 0)
        while len(self.events[name]) <= index:
            self._arrived[name].clear()
            await asyncio.wait_for(self._arrived[name].wait(), timeout)
        seen[name] = index + 1
        return self.events[name][index]

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, timeout=30)

    async def send_audio(self, consultation_id: str, wav: Path) -> None:
        """Offers the worker one audio track playing `wav` in real time, and connects."""
        self.player = MediaPlayer(str(wav))
        self.pc = RTCPeerConnection()
        self.pc.addTrack(self.player.audio)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        reply = await self.call("offer", {
            "consultation_id": consultation_id, "target": "worker",
            "sdp": self.pc.localDescription.sdp, "type": "offer",
        })
        assert reply == {"ok": True}, reply
        answer = await self.next("answer")
        assert answer["from"] == "worker"
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))

    async def played_out(self, timeout: float = 30.0) -> None:
        """Waits until the whole file was sent."""
        assert self.player is not None and self.player.audio is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.player.audio.readyState != "ended":
            assert loop.time() < deadline, "audio did not finish playing"
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()
            self.pc = None
        if self.sio.connected:
            await self.sio.disconnect()

"""A scripted party of a consultation: a socket.io client plus an aiortc peer that sends a
recording as its microphone. `telemed simulate` and the tests use it."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

import av
import socketio
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.codecs.opus import SAMPLE_RATE as OPUS_RATE
from aiortc.codecs.opus import OpusEncoder
from aiortc.contrib.media import MediaPlayer
from av import AudioResampler

from clinic.messages.socket import SERVER_EVENTS
from media.sdp import ptime_of

# Opus frame lengths ffmpeg's libopus encoder takes, in ms.
OPUS_FRAME_MS = (10, 20, 40, 60)


def send_packets_of(sender: RTCRtpSender, ms: int) -> None:
    """Makes `sender` encode Opus in `ms` packets, as a browser does for an answer's a=ptime.

    aiortc always sends 20 ms packets; without this the tests and benches would measure a
    packet rate no browser sends the worker. Call before the answer is applied: the sender
    creates its own encoder on its first frame.
    """
    if ms not in OPUS_FRAME_MS or ms == 20:
        return
    encoder = OpusEncoder()
    encoder.codec.options = {"application": "voip", "frame_duration": str(ms)}
    encoder.resampler = AudioResampler(
        format="s16", layout="stereo", rate=OPUS_RATE, frame_size=OPUS_RATE * ms // 1000
    )
    # aiortc has no public way to choose the encoder; this is the attribute it fills lazily.
    sender._RTCRtpSender__encoder = encoder  # type: ignore[attr-defined]


def encode_opus(wav: Path, ms: int = 60) -> Path:
    """`wav` as a browser sends it: Opus at 48 kHz in `ms` packets (the worker asks for
    60), in an Ogg file beside it that `Party.send_audio` sends without re-encoding."""
    out = wav.with_suffix(".ogg")
    with av.open(str(wav)) as source, av.open(str(out), "w", format="ogg") as target:
        stream = target.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.codec_context.options = {"application": "voip", "frame_duration": str(ms)}
        resampler = AudioResampler(
            format="s16", layout="mono", rate=OPUS_RATE, frame_size=OPUS_RATE * ms // 1000
        )
        for frame in [*source.decode(audio=0), None]:
            for chunk in resampler.resample(frame):
                target.mux(stream.encode(chunk))
        target.mux(stream.encode(None))
    return out


def is_opus(path: Path) -> bool:
    """Whether `path`'s audio is Opus, which `Party.send_audio` sends as it is. By codec, not
    by name: an .ogg file may as well hold Vorbis, which must be decoded and encoded."""
    with av.open(str(path)) as container:
        audio = container.streams.audio
        return bool(audio) and audio[0].codec_context.name == "opus"


def local_peer() -> RTCPeerConnection:
    """A peer gathering this host's candidates only: given no ICE servers, aiortc asks
    Google's public STUN server, which a scripted party on a city's network must not."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


class Party:
    """A patient or doctor; `events` keeps every server event received, by name."""

    def __init__(self, url: str, auth: dict[str, str]) -> None:
        self.url = url
        self.auth = auth
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self._arrived: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self._consumed: dict[str, int] = defaultdict(int)
        self.pc: RTCPeerConnection | None = None
        self.player: MediaPlayer | None = None
        for name in SERVER_EVENTS:  # every event the server sends is kept
            self.sio.on(name, self._collector(name))

    def _collector(self, name: str):  # type: ignore[no-untyped-def]
        async def collect(data: Any = None) -> None:
            self.events[name].append(data)
            self._arrived[name].set()

        return collect

    async def connect(self) -> None:
        await self.sio.connect(self.url, auth=self.auth, transports=["websocket"], wait_timeout=10)

    async def next(self, name: str, timeout: float = 20.0) -> Any:
        """The next `name` event not yet consumed."""
        index = self._consumed[name]
        while len(self.events[name]) <= index:
            self._arrived[name].clear()
            await asyncio.wait_for(self._arrived[name].wait(), timeout)
        self._consumed[name] = index + 1
        return self.events[name][index]

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, timeout=30)

    async def send_audio(self, consultation_id: str, wav: Path) -> None:
        """Offers the worker one audio track playing `wav` in real time, and connects. An
        Opus file (`encode_opus`) is sent as it is, packet by packet, as a browser's
        encoder would have made them: no decoding and encoding here, so that many parties
        fit beside a server on one machine."""
        encoded = is_opus(wav)
        self.player = MediaPlayer(str(wav), decode=not encoded)
        if self.player.audio is None:
            raise ValueError(f"{wav} has no audio")
        self.pc = local_peer()
        sender = self.pc.addTrack(self.player.audio)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        reply = await self.call(
            "offer",
            {
                "consultation_id": consultation_id,
                "target": "worker",
                "sdp": self.pc.localDescription.sdp,
                "type": "offer",
            },
        )
        if reply != {"ok": True}:
            raise RuntimeError(f"the worker refused the offer: {reply}")
        answer = await self.next("answer")
        ptime = ptime_of(answer["sdp"])
        if ptime is not None and not encoded:  # an encoded file's packets are what they are
            send_packets_of(sender, ptime)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))

    async def played_out(self, timeout: float = 30.0) -> None:
        """Waits until the whole file was sent."""
        if self.player is None or self.player.audio is None:
            raise RuntimeError("no audio is being sent")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.player.audio.readyState != "ended":
            if loop.time() > deadline:
                raise TimeoutError("the audio did not finish playing")
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        if self.pc is not None:
            await self.pc.close()
            self.pc = None
        if self.sio.connected:
            await self.sio.disconnect()

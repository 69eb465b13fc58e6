"""The media worker: one server-side RTCPeerConnection per consultation side."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from clinic.domain import Speaker
from media.gateway import SideEnded
from media.pcm import BYTES_PER_SECOND
from media.recording import WavRecording
from media.sdp import ask_for_ptime
from media.side import SideRecorder
from transcription.models import ModelPool
from transcription.stream import SideTranscriber, TranscriptSink

log = logging.getLogger(__name__)


class BadOffer(ValueError):
    """The SDP offer could not be used; the message says why, for the client."""


@dataclass
class _Leg:
    consultation_id: str
    speaker: Speaker
    pc: RTCPeerConnection
    language: str
    started_at: float  # wall-clock start of the consultation, for segment times
    recorders: list[SideRecorder] = field(default_factory=list)
    closed: bool = False
    # Set once the offer is applied (or the leg closed): a candidate the browser trickles
    # while the offer is still being applied waits for it instead of being lost.
    described: asyncio.Event = field(default_factory=asyncio.Event)


class MediaWorker:
    """Answers each side's offer, records its audio and transcribes it.

    Video is not taken: the worker carries audio only, so one core serves many calls.
    """

    def __init__(
        self,
        models: ModelPool,
        sink: TranscriptSink,
        recordings_dir: Path,
        ice_servers: Sequence[Mapping[str, object]] = (),
        on_lag: Callable[[float], None] | None = None,
        on_side_end: Callable[[int, float], None] | None = None,
        on_recognition_cpu: Callable[[float], None] | None = None,
    ) -> None:
        self._on_lag = on_lag
        self._on_recognition_cpu = on_recognition_cpu
        self._on_side_end = on_side_end
        self._models = models
        self._sink = sink
        self._recordings_dir = recordings_dir
        self._ice_servers = [RTCIceServer(**dict(s)) for s in ice_servers]  # type: ignore[arg-type]
        self._legs: dict[tuple[str, Speaker], _Leg] = {}
        self._lock = asyncio.Lock()
        # Failed sides being closed: kept so that none is collected half-done and close()
        # can wait for them.
        self._dropping: set[asyncio.Task[None]] = set()

    async def begin(self, consultation: object) -> None:
        """Nothing to prepare in process: a side starts with its offer."""

    @property
    def active_legs(self) -> int:
        return len(self._legs)

    async def answer(
        self,
        consultation_id: str,
        speaker: Speaker,
        language: str,
        started_at: float,
        sdp: str,
        sdp_type: str = "offer",
    ) -> RTCSessionDescription:
        if sdp_type != "offer":
            raise BadOffer("the worker only answers offers")
        # Never None: aiortc then gathers through Google's public STUN server, telling a third
        # party of every consultation side (and, where a firewall drops it, the answer waits
        # for aioice's timeout). No servers configured means host candidates only.
        pc = RTCPeerConnection(RTCConfiguration(iceServers=list(self._ice_servers)))
        leg = _Leg(consultation_id, speaker, pc, language, started_at)
        pc.on("track", lambda track: self._on_track(leg, track))
        pc.on("connectionstatechange", lambda: self._on_state(leg))
        # Registered before it is set up, so a hang-up that comes meanwhile (`end`) finds and
        # closes it; registered after, it outlived its consultation with its sockets and
        # its pooled recogniser.
        async with self._lock:
            previous = self._legs.pop((consultation_id, speaker), None)
            self._legs[(consultation_id, speaker)] = leg
        if previous is not None:  # a rejoin or renegotiation: the old leg's audio is flushed first
            await self._close_leg(previous)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            leg.described.set()
            if not any(t.kind == "audio" for t in pc.getTransceivers()):
                raise BadOffer("the offer carries no audio")
            for transceiver in pc.getTransceivers():
                if transceiver.kind != "audio":
                    transceiver.direction = "inactive"  # video stays between the browsers
            await pc.setLocalDescription(await pc.createAnswer())
        except BadOffer:
            await self._forget(leg)
            raise
        except Exception as exc:  # aiortc raises ValueError, KeyError, ... for bad SDP
            ended = leg.closed  # by `end` while the offer was applied; not by _forget below
            await self._forget(leg)
            if ended:
                raise SideEnded("the consultation ended") from exc
            # aiortc's words are about its internals; the sender learns what to fix.
            log.info("bad_offer error=%s", exc.__class__.__name__)
            raise BadOffer(
                "unusable SDP offer: it could not be parsed or has no usable "
                "audio codec, ICE or DTLS attributes"
            ) from exc
        # The track arrived with the offer: its recogniser is taken from the pool now, so
        # it waits ready for the first speech instead of being built when it comes.
        await asyncio.gather(*(r.transcriber.ready() for r in leg.recorders))
        if leg.closed:
            raise SideEnded("the consultation ended")
        return RTCSessionDescription(sdp=ask_for_ptime(pc.localDescription.sdp), type="answer")

    async def add_ice_candidate(
        self, consultation_id: str, speaker: Speaker, candidate: Mapping[str, object]
    ) -> None:
        leg = self._legs.get((consultation_id, speaker))
        if leg is None:
            raise BadOffer("no media session for this side; send an offer first")
        text = str(candidate.get("candidate") or "")
        if not text:
            return  # end-of-candidates
        try:
            parsed = candidate_from_sdp(
                text.split(":", 1)[1] if text.startswith("candidate:") else text
            )
            parsed.sdpMid = candidate.get("sdpMid")  # type: ignore[assignment]
            parsed.sdpMLineIndex = candidate.get("sdpMLineIndex")  # type: ignore[assignment]
        except Exception as exc:
            raise _unusable_ice(exc) from exc
        await leg.described.wait()
        if leg.closed:
            raise BadOffer("this side's media session is closed; send a new offer")
        try:
            await leg.pc.addIceCandidate(parsed)
        except Exception as exc:
            raise _unusable_ice(exc) from exc

    async def end(self, consultation_id: str) -> None:
        """Closes both sides and waits until every segment reached the sink."""
        async with self._lock:
            legs = [self._legs.pop(k) for k in list(self._legs) if k[0] == consultation_id]
        await asyncio.gather(*(self._close_leg(leg) for leg in legs))

    async def close(self) -> None:
        async with self._lock:
            legs = list(self._legs.values())
            self._legs.clear()
        await asyncio.gather(*(self._close_leg(leg) for leg in legs), *self._dropping)

    def _on_track(self, leg: _Leg, track: MediaStreamTrack) -> None:
        if track.kind != "audio":
            return
        pool = self._models.recognizers(leg.language)
        offset = max(0.0, time.time() - leg.started_at)
        name = f"{leg.consultation_id}/{leg.speaker.value}-{int(time.time() * 1000)}.wav"
        transcriber = SideTranscriber(
            pool,
            leg.consultation_id,
            leg.speaker,
            offset,
            self._sink,
            self._on_lag,
            gated=self._models.voice_gate,
            on_cpu=self._on_recognition_cpu,
        )
        leg.recorders.append(
            SideRecorder(track, transcriber, WavRecording(self._recordings_dir / name))
        )

    def _on_state(self, leg: _Leg) -> None:
        if leg.pc.connectionState == "failed":
            log.info(
                "media_connection_failed consultation=%s speaker=%s",
                leg.consultation_id,
                leg.speaker.value,
            )
            task = asyncio.get_running_loop().create_task(self._drop_failed(leg))
            self._dropping.add(task)
            task.add_done_callback(self._dropping.discard)

    async def _drop_failed(self, leg: _Leg) -> None:
        await self._forget(leg)

    async def _forget(self, leg: _Leg) -> None:
        """Closes `leg` and forgets it, unless a newer leg of its side replaced it."""
        async with self._lock:
            if self._legs.get((leg.consultation_id, leg.speaker)) is leg:
                del self._legs[(leg.consultation_id, leg.speaker)]
        await self._close_leg(leg)

    async def _close_leg(self, leg: _Leg) -> None:
        if leg.closed:
            return
        leg.closed = True
        leg.described.set()
        await leg.pc.close()
        for recorder in leg.recorders:
            await recorder.stop()
            if self._on_side_end is not None and recorder.frames:
                self._on_side_end(recorder.frames, recorder.received_bytes / BYTES_PER_SECOND)


def _unusable_ice(exc: Exception) -> BadOffer:
    log.info("bad_ice error=%s", exc.__class__.__name__)
    return BadOffer(
        "unusable ICE candidate: expected an RTCIceCandidateInit whose "
        "'candidate' is an SDP candidate line"
    )

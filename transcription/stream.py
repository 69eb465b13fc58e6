"""Transcribes one side of a consultation as its audio arrives, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol, TypeVar

from clinic.domain import Segment, Speaker, Word
from transcription.gate import VoiceGate
from transcription.pool import RecognizerPool
from transcription.recognizer import CHUNK_BYTES, Phrase, StreamingRecognizer

log = logging.getLogger(__name__)
_T = TypeVar("_T")
STORE_RETRIES = (0.5, 1.0, 2.0, 4.0)


class TranscriptSink(Protocol):
    async def partial(self, consultation_id: str, speaker: Speaker, text: str) -> None: ...

    async def segment(self, segment: Segment) -> None: ...


class SideTranscriber:
    """Feeds PCM in order to one recognizer running in a worker thread, in CHUNK_BYTES
    chunks whatever sizes arrive.

    The recognizer comes from the pool as the side starts (`ready()` waits for it) and goes
    back when the side ends. Each finalised phrase reaches the sink (which persists it)
    before the next chunk is decoded, so a crash loses at most the phrase in progress.
    """

    def __init__(
        self,
        pool: RecognizerPool,
        consultation_id: str,
        speaker: Speaker,
        offset_s: float,
        sink: TranscriptSink,
        on_lag: Callable[[float], None] | None = None,
        *,
        gated: bool = True,
        on_cpu: Callable[[float], None] | None = None,
    ) -> None:
        self._pool = pool
        self._gated = gated
        self._on_lag = on_lag
        self._on_cpu = on_cpu
        self._consultation_id = consultation_id
        self._speaker = speaker
        self._offset = offset_s
        self._sink = sink
        # (arrival time, PCM); None marks the end of the stream.
        self._chunks: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        self._pending = bytearray()  # PCM short of a whole chunk
        self._ready = asyncio.Event()
        self._ended = False  # the end of the stream was taken from the queue
        self._task = asyncio.create_task(self._run())
        # Seconds of the side's audio, and how much of it Vosk heard (the gate skips silence).
        self.heard_s = 0.0
        self.fed_s = 0.0

    async def ready(self) -> None:
        """Until the recognizer is taken from the pool (or failed to be built): the worker
        answers the side's offer after this, so the first speech finds it waiting."""
        await self._ready.wait()

    def feed(self, pcm: bytes) -> None:
        """Any amount of the side's 16 kHz mono s16 PCM, in order."""
        self._pending += pcm
        while len(self._pending) >= CHUNK_BYTES:
            self._put(bytes(self._pending[:CHUNK_BYTES]))
            del self._pending[:CHUNK_BYTES]

    def _put(self, chunk: bytes) -> None:
        if chunk:
            self._chunks.put_nowait((asyncio.get_running_loop().time(), chunk))

    async def close(self) -> None:
        """Decodes what is queued, flushes the phrase in progress, and waits for the sink."""
        self._put(bytes(self._pending))
        self._pending.clear()
        self._chunks.put_nowait(None)
        await self._task

    async def _run(self) -> None:
        try:
            recognizer = await asyncio.to_thread(self._pool.take)
        except Exception:
            # The call goes on and its audio is recorded; only its transcript is lost.
            log.exception(
                "recognizer_failed consultation=%s speaker=%s",
                self._consultation_id,
                self._speaker.value,
            )
            self._ready.set()
            await self._drain()
            return
        self._ready.set()
        try:
            gate = VoiceGate() if self._gated else None
            await self._transcribe(StreamingRecognizer(recognizer, gate))
        except Exception:
            # A recogniser that failed mid-call may be in any state: freed, never pooled.
            log.exception(
                "recognizer_failed consultation=%s speaker=%s",
                self._consultation_id,
                self._speaker.value,
            )
            await asyncio.to_thread(recognizer.close)
            await self._drain()
            return
        await asyncio.to_thread(self._pool.give_back, recognizer)

    async def _transcribe(self, recognizer: StreamingRecognizer) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                item = await self._chunks.get()
                if item is None:
                    self._ended = True
                    phrase = await self._timed(recognizer.finish)
                    if phrase is not None:
                        await self._store(self._segment(phrase))
                    return
                arrived, chunk = item
                results = await self._timed(recognizer.accept, chunk)
                if self._on_lag is not None:
                    self._on_lag(loop.time() - arrived)
                for result in results:
                    if isinstance(result, Phrase):
                        await self._store(self._segment(result))
                    else:
                        with contextlib.suppress(Exception):  # a lost caption is only a caption
                            await self._sink.partial(self._consultation_id, self._speaker, result)
        finally:
            self.heard_s, self.fed_s = recognizer.heard_s, recognizer.fed_s

    async def _timed(self, step: Callable[..., _T], *args: bytes) -> _T:
        """`step` in a recognition thread; the thread's CPU time for it goes to `on_cpu`
        (what recognition costs, apart from receiving the audio and the rest)."""

        def timed() -> tuple[_T, float]:
            started = time.thread_time()
            out = step(*args)
            return out, time.thread_time() - started

        out, cpu = await asyncio.to_thread(timed)
        if self._on_cpu is not None:
            self._on_cpu(cpu)
        return out

    async def _drain(self) -> None:
        while not self._ended:
            self._ended = await self._chunks.get() is None

    async def _store(self, segment: Segment) -> None:
        """Hands a segment to the sink, retrying a failing store (a database restarting)
        rather than ending this side's transcription; the audio stays in the recording."""
        for delay in STORE_RETRIES:
            try:
                await self._sink.segment(segment)
                return
            except Exception:
                log.warning(
                    "segment_store_failed consultation=%s speaker=%s retry_in_s=%.1f",
                    self._consultation_id,
                    self._speaker.value,
                    delay,
                )
                await asyncio.sleep(delay)
        try:
            await self._sink.segment(segment)
        except Exception:
            log.exception(
                "segment_lost consultation=%s speaker=%s start=%.2f",
                self._consultation_id,
                self._speaker.value,
                segment.start,
            )

    def _segment(self, phrase: Phrase) -> Segment:
        shift = self._offset
        return Segment(
            consultation_id=self._consultation_id,
            speaker=self._speaker,
            start=round(phrase.start + shift, 3),
            end=round(phrase.end + shift, 3),
            text=phrase.text,
            confidence=round(phrase.confidence, 4),
            words=tuple(replace(w, start=w.start + shift, end=w.end + shift) for w in phrase.words),
        )


__all__ = ["SideTranscriber", "TranscriptSink", "Word"]

"""Transcribes one side of a consultation as its audio arrives, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

import vosk

from clinic.domain import Segment, Speaker, Word
from transcription.recognizer import Phrase, StreamingRecognizer

log = logging.getLogger(__name__)
STORE_RETRIES = (0.5, 1.0, 2.0, 4.0)


class TranscriptSink(Protocol):
    async def partial(self, consultation_id: str, speaker: Speaker, text: str) -> None: ...

    async def segment(self, segment: Segment) -> None: ...


class SideTranscriber:
    """Feeds PCM chunks in order to one recognizer running in a worker thread.

    Each finalised phrase reaches the sink (which persists it) before the next chunk is
    decoded, so a crash loses at most the phrase in progress.
    """

    def __init__(
        self,
        model: vosk.Model,
        consultation_id: str,
        speaker: Speaker,
        offset_s: float,
        sink: TranscriptSink,
        on_lag: Callable[[float], None] | None = None,
    ) -> None:
        self._model = model
        self._on_lag = on_lag
        self._consultation_id = consultation_id
        self._speaker = speaker
        self._offset = offset_s
        self._sink = sink
        # (arrival time, PCM); None marks the end of the stream.
        self._chunks: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        self._task = asyncio.create_task(self._run())

    def feed(self, pcm: bytes) -> None:
        if pcm:
            self._chunks.put_nowait((asyncio.get_running_loop().time(), pcm))

    async def close(self) -> None:
        """Decodes what is queued, flushes the phrase in progress, and waits for the sink."""
        self._chunks.put_nowait(None)
        await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        # Built here, off the loop; the chunks that arrive meanwhile wait in the queue.
        try:
            recognizer = await asyncio.to_thread(StreamingRecognizer, self._model)
        except Exception:
            # The call goes on and its audio is recorded; only its transcript is lost.
            log.exception("recognizer_failed consultation=%s speaker=%s",
                          self._consultation_id, self._speaker.value)
            while await self._chunks.get() is not None:
                pass
            return
        while True:
            item = await self._chunks.get()
            if item is None:
                phrase = await asyncio.to_thread(recognizer.finish)
                if phrase is not None:
                    await self._store(self._segment(phrase))
                return
            arrived, chunk = item
            result = await asyncio.to_thread(recognizer.accept, chunk)
            if self._on_lag is not None:
                self._on_lag(loop.time() - arrived)
            if isinstance(result, Phrase):
                await self._store(self._segment(result))
            elif result:
                with contextlib.suppress(Exception):  # a lost caption is only a caption
                    await self._sink.partial(self._consultation_id, self._speaker, result)

    async def _store(self, segment: Segment) -> None:
        """Hands a segment to the sink, retrying a failing store (a database restarting)
        rather than ending this side's transcription; the audio stays in the recording."""
        for delay in STORE_RETRIES:
            try:
                await self._sink.segment(segment)
                return
            except Exception:
                log.warning("segment_store_failed consultation=%s speaker=%s retry_in_s=%.1f",
                            self._consultation_id, self._speaker.value, delay)
                await asyncio.sleep(delay)
        try:
            await self._sink.segment(segment)
        except Exception:
            log.exception("segment_lost consultation=%s speaker=%s start=%.2f",
                          self._consultation_id, self._speaker.value, segment.start)

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

"""One side's transcriber keeps going when storing a segment fails for a while, and lets
the call end when its recogniser cannot be built or fails mid-call."""

from __future__ import annotations

from pathlib import Path

import pytest
import vosk

from clinic.domain import Segment, Speaker
from media.decode import pcm_chunks
from tests.speech import PHRASES, speak
from transcription import stream
from transcription.engine import Recognizer, VoskRecognizer
from transcription.models import ModelPool
from transcription.pool import RecognizerPool
from transcription.stream import SideTranscriber


class FlakyStore:
    """A sink whose database refuses the first writes, as one restarting would."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.stored: list[Segment] = []

    async def partial(self, consultation_id: str, speaker: Speaker, text: str) -> None:
        raise ConnectionError("captions channel down")

    async def segment(self, segment: Segment) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("database restarting")
        self.stored.append(segment)


class OutOfMemory(RecognizerPool):
    """A pool on a machine out of memory: Vosk cannot build a recogniser."""

    def take(self) -> Recognizer:
        raise MemoryError("std::bad_alloc")


async def test_segments_survive_a_store_that_fails_for_a_while(
    model_pool: ModelPool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stream, "STORE_RETRIES", (0.01, 0.01, 0.01))
    audio = speak(PHRASES["patient"] + " " + PHRASES["doctor"], tmp_path / "a.wav", rate_hz=16000)
    store = FlakyStore(failures=2)
    transcriber = SideTranscriber(
        RecognizerPool(model_pool.for_language("ru"), 1), "c1", Speaker.PATIENT, 10.0, store
    )
    for chunk in pcm_chunks(audio):
        transcriber.feed(chunk)
    await transcriber.close()
    assert store.stored, "every segment was lost"
    assert store.failures == 0
    assert all(s.start >= 10.0 and s.speaker is Speaker.PATIENT for s in store.stored)


async def test_a_recognizer_that_cannot_be_built_does_not_hold_up_the_hang_up(
    model_pool: ModelPool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    audio = speak(PHRASES["patient"], tmp_path / "a.wav", rate_hz=16000)
    store = FlakyStore(failures=0)
    transcriber = SideTranscriber(
        OutOfMemory(model_pool.for_language("ru"), 0), "c1", Speaker.PATIENT, 0.0, store
    )
    for chunk in pcm_chunks(audio):
        transcriber.feed(chunk)
    await transcriber.close()  # returns: the side's recording and the protocol go on
    assert store.stored == []


class FailsMidCall(VoskRecognizer):
    """A recogniser whose Vosk call fails partway through the side (a bad_alloc, say)."""

    def __init__(self, model: vosk.Model, after_s: float) -> None:
        super().__init__(model)
        self._after_s = after_s

    def accept(self, pcm: bytes) -> bool:
        if self.heard_s >= self._after_s:
            raise MemoryError("std::bad_alloc")
        return super().accept(pcm)


class HandsOutFailing(RecognizerPool):
    def take(self) -> Recognizer:
        self.taken = FailsMidCall(self._model, after_s=2.0)
        return self.taken


async def test_a_recognizer_that_fails_mid_call_is_freed_and_the_side_ends(
    model_pool: ModelPool, tmp_path: Path
) -> None:
    audio = speak(
        PHRASES["patient"] + " " + PHRASES["doctor"], tmp_path / "a.wav", rate_hz=16000, pad_s=3.0
    )
    pool = HandsOutFailing(model_pool.for_language("ru"), 2)
    store = FlakyStore(failures=0)
    transcriber = SideTranscriber(pool, "c1", Speaker.PATIENT, 0.0, store)
    for chunk in pcm_chunks(audio):
        transcriber.feed(chunk)
    await transcriber.close()  # returns: the recording and the protocol go on
    assert pool.stats().idle == 0, "a failed recogniser went back to the pool"
    assert not hasattr(pool.taken, "kaldi"), "the failed recogniser was not freed"

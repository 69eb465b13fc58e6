"""One streaming Vosk recognizer: PCM in, partial text and finalised phrases out."""

from __future__ import annotations

import json
from dataclasses import dataclass

import vosk

from clinic.domain import Word

SAMPLE_RATE = 16000
# Audio goes to Vosk in chunks of this size (0.25 s): large enough to keep thread
# hand-offs rare, small enough that live captions follow speech closely. Vosk checks
# for the end of a phrase once per chunk, so one size everywhere gives one result.
CHUNK_BYTES = SAMPLE_RATE * 2 // 4


@dataclass(frozen=True)
class Phrase:
    """A finalised phrase, times in seconds from the start of this recognizer's audio."""

    start: float
    end: float
    text: str
    confidence: float
    words: tuple[Word, ...]


class StreamingRecognizer:
    """Not thread-safe: feed it from one thread at a time, in order."""

    def __init__(self, model: vosk.Model) -> None:
        # Tens of milliseconds of CPU with the bundled model: build it off the event loop.
        self._rec: vosk.KaldiRecognizer | None = vosk.KaldiRecognizer(model, SAMPLE_RATE)
        self._rec.SetWords(True)
        self._last_partial = ""

    def accept(self, pcm: bytes) -> Phrase | str | None:
        """A Phrase when Vosk finalises one, new partial text when it changed, else None."""
        rec = self._rec
        if rec is None:
            raise RuntimeError("the recognizer already finished")
        if rec.AcceptWaveform(pcm):
            self._last_partial = ""
            return _phrase(rec.Result())
        partial = json.loads(rec.PartialResult()).get("partial", "")
        if partial and partial != self._last_partial:
            self._last_partial = partial
            return partial
        return None

    def finish(self) -> Phrase | None:
        """Flushes the phrase in progress, e.g. when the call ends mid-sentence; the last call.

        Frees Vosk's recognizer here, in the caller's thread: freeing one that heard a long
        call takes tens of milliseconds, which must not stall an event loop.
        """
        self._last_partial = ""
        rec, self._rec = self._rec, None
        if rec is None:
            raise RuntimeError("the recognizer already finished")
        result = rec.FinalResult()
        del rec
        return _phrase(result)


def _phrase(result_json: str) -> Phrase | None:
    result = json.loads(result_json)
    words = tuple(
        Word(word=w["word"], start=float(w["start"]), end=float(w["end"]), conf=float(w["conf"]))
        for w in result.get("result", [])
    )
    text = result.get("text", "").strip()
    if not words or not text:
        return None
    return Phrase(
        start=words[0].start,
        end=words[-1].end,
        text=text,
        confidence=sum(w.conf for w in words) / len(words),
        words=words,
    )

"""One side's streaming recognition: PCM in, partial text and finalised phrases out.

A voice gate decides which chunks Vosk hears; a pooled recogniser hears them. Vosk's times
count the audio it heard since the recogniser was built; the phrases here count the side's
audio, silence included.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from clinic.domain import Word
from transcription.engine import SAMPLE_RATE, Heard, Recognizer
from transcription.gate import Passage, VoiceGate

BYTES_PER_SECOND = SAMPLE_RATE * 2
# Audio goes to Vosk in chunks of this size (0.25 s): large enough to keep thread
# hand-offs rare, small enough that live captions follow speech closely. Vosk checks
# for the end of a phrase once per chunk, so one size everywhere gives one result.
CHUNK_BYTES = SAMPLE_RATE * 2 // 4


@dataclass(frozen=True)
class Phrase:
    """A finalised phrase, times in seconds from the start of this side's audio."""

    start: float
    end: float
    text: str
    confidence: float
    words: tuple[Word, ...]


Result = Phrase | str  # a finalised phrase, or new partial text for the captions


class StreamingRecognizer:
    """Not thread-safe: feed it from one thread at a time, in order, in CHUNK_BYTES chunks
    (the last may be shorter)."""

    def __init__(self, recognizer: Recognizer, gate: VoiceGate | None = None) -> None:
        # Without a gate Vosk hears everything (TELEMED_VOICE_GATE=off).
        self._rec = recognizer
        self._gate = gate
        self._heard = 0  # bytes of the side's audio so far
        self._fed_until = 0  # the side's byte position right after the last one Vosk heard
        # Where each stretch of audio Vosk heard begins: its time on the recogniser's clock
        # and on the side's. A phrase never spans two stretches: the gate ends it first.
        self._spans_rec: list[float] = []
        self._spans_side: list[float] = []
        self._last_partial = ""
        self._finished = False
        self.fed_bytes = 0

    @property
    def heard_s(self) -> float:
        return self._heard / BYTES_PER_SECOND

    @property
    def fed_s(self) -> float:
        """Seconds of this side's audio Vosk heard: the rest the gate kept from it."""
        return self.fed_bytes / BYTES_PER_SECOND

    def accept(self, pcm: bytes) -> list[Result]:
        """The phrases Vosk finalised and the partial text, if it changed, after `pcm`."""
        if self._finished:
            raise RuntimeError("the recognizer already finished")
        passage = self._gate.push(pcm) if self._gate is not None else Passage((pcm,), False)
        self._heard += len(pcm)
        results: list[Result] = []
        if passage.feed:
            start = self._heard - sum(len(c) for c in passage.feed)
            if start != self._fed_until or not self._spans_rec:
                self._spans_rec.append(self._rec.heard_s)
                self._spans_side.append(start / BYTES_PER_SECOND)
            self._fed_until = self._heard
            for chunk in passage.feed:
                self.fed_bytes += len(chunk)
                if self._rec.accept(chunk):
                    self._last_partial = ""
                    results += self._phrases(self._rec.result())
        if passage.ends_phrase:
            # Vosk has usually ended the phrase itself by now (then this is empty); when it
            # has not, the phrase ends here rather than with the next one after the silence.
            # Result(), not FinalResult(): the features and the speaker adaptation go on.
            self._last_partial = ""
            results += self._phrases(self._rec.result())
        elif passage.feed and not any(isinstance(r, Phrase) for r in results[-1:]):
            partial = self._rec.partial()
            if partial and partial != self._last_partial:
                self._last_partial = partial
                results.append(partial)
        return results

    def finish(self) -> Phrase | None:
        """Flushes the phrase in progress, e.g. when the call ends mid-sentence; the last
        call. The recogniser can then go back to its pool."""
        if self._finished:
            raise RuntimeError("the recognizer already finished")
        self._finished = True
        self._last_partial = ""
        phrases = self._phrases(self._rec.finish())
        return phrases[0] if phrases else None

    def _phrases(self, heard: Heard) -> list[Phrase]:
        words = tuple(
            Word(w.word, self._side_time(w.start), self._side_time(w.end), w.conf)
            for w in heard.words
        )
        if not words or not heard.text:
            return []
        return [
            Phrase(
                start=words[0].start,
                end=words[-1].end,
                text=heard.text,
                confidence=sum(w.conf for w in words) / len(words),
                words=words,
            )
        ]

    def _side_time(self, rec_time: float) -> float:
        # Vosk rounds times to its 30 ms frames: a word at a stretch's very start may read
        # a hair before it, and belongs to it all the same.
        i = max(0, bisect.bisect_right(self._spans_rec, rec_time + 0.015) - 1)
        return round(self._spans_side[i] + rec_time - self._spans_rec[i], 3)

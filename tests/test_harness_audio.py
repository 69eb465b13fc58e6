"""Which files the scripted parties send as they are: Opus only, whatever the file's name."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.client import encode_opus, is_opus
from tests.speech import PHRASES, speak


def test_only_opus_is_sent_without_decoding(tmp_path: Path) -> None:
    wav = speak(PHRASES["patient"], tmp_path / "p.wav", rate_hz=16000)
    assert is_opus(encode_opus(wav))
    assert not is_opus(wav)
    # An Ogg file of Vorbis (what sox and many recorders save): sent as it is, it was noise.
    vorbis = tmp_path / "recorded.ogg"
    subprocess.run(["sox", str(wav), str(vorbis)], check=True)
    assert not is_opus(vorbis)

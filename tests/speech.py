"""Real speech for the tests, spoken by espeak-ng in Korean (the bundled model's language)."""

from __future__ import annotations

import subprocess
from pathlib import Path

PHRASES = {
    "doctor": "안녕하세요 저는 의사입니다 오늘 기분이 어떠세요",
    "patient": "어제부터 열이 나고 기침을 많이 합니다 목이 아파요",
    "patient_more": "숨이 차고 밤에 잠을 잘 수가 없어요",
}


def speak(
    text: str,
    path: Path,
    *,
    rate_hz: int | None = None,
    pad_s: float = 1.0,
    repeatable: bool = False,
) -> Path:
    """A WAV of `text` with `pad_s` of silence after, so the recogniser ends the phrase.

    sox dithers what it resamples with random noise, so two calls give slightly different
    audio; `repeatable` seeds it, so the same text always gives the same file. (Without
    dither the silence would be digital zeros, which no microphone gives and on which Vosk
    with its own dither off goes astray.)"""
    raw = path.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-s", "140", "-w", str(raw), text], check=True)
    effects = ["pad", "0.3", str(pad_s)]
    if rate_hz:
        effects += ["rate", str(rate_hz)]
    subprocess.run(
        [
            "sox",
            str(raw),
            "-c",
            "1",
            "-b",
            "16",
            *(["-R"] if repeatable else []),
            str(path),
            *effects,
        ],
        check=True,
    )
    raw.unlink()
    return path

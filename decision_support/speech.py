"""Text made to look like what the recogniser writes: lower case, no punctuation, numbers said.

Used to score the suggester on speech-like input and to fit it on a mix of both, since at
use its input is a Vosk transcript and its training data is typed notes.
"""

from __future__ import annotations

import re

from num2words import num2words

_DECIMAL = re.compile(r"(\d+)[.,](\d+)")
_NUMBER = re.compile(r"\d+")
_NOT_WORD = re.compile(r"[^\w\s]|_", re.UNICODE)


def _spoken(match: re.Match[str]) -> str:
    digits = match.group(0)
    # Long digit runs (phone numbers, lab codes) are read digit by digit.
    if len(digits) > 6:
        return " ".join(num2words(int(d), lang="ru") for d in digits)
    return " " + str(num2words(int(digits), lang="ru")) + " "


def speech_like(text: str) -> str:
    """The text as a recogniser would write it: "Т 37.5, 2-х" -> "т тридцать семь и пять два х"."""
    text = _DECIMAL.sub(r"\1 и \2", text.replace("*ДАТА*", " "))
    text = _NUMBER.sub(_spoken, text)
    text = _NOT_WORD.sub(" ", text.lower())
    return " ".join(text.split())

"""Numbers as speech recognition writes them: words in Russian or English, or digits.

"тридцать восемь и пять" -> 38.5, "тридцати семи целых восьми десятых" -> 37.8,
"thirty eight point five" -> 38.5, "one hundred twenty" -> 120, "37,8" -> 37.8.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

VOCABULARY = Path(__file__).parent / "vocabulary" / "numbers.json"
_DIGITS = re.compile(r"^\d+(?:[.,]\d+)?$")


@dataclass(frozen=True)
class SpokenNumber:
    value: float
    start: int  # index of the first token
    end: int  # index after the last token

    @property
    def is_integer(self) -> bool:
        return float(self.value).is_integer()


@dataclass(frozen=True)
class _Words:
    units: dict[str, int]
    teens: dict[str, int]
    tens: dict[str, int]
    hundreds: dict[str, int]
    separators: frozenset[str]
    suffixes: frozenset[str]


@cache
def _words(language: str) -> _Words:
    data = json.loads(VOCABULARY.read_text(encoding="utf-8"))[language]
    return _Words(
        data["units"],
        data["teens"],
        data["tens"],
        data["hundreds"],
        frozenset(data["decimal_separators"]),
        frozenset(data["decimal_suffixes"]),
    )


@cache
def _all_number_words() -> frozenset[str]:
    data = json.loads(VOCABULARY.read_text(encoding="utf-8"))
    return frozenset(
        word
        for language in data.values()
        for key in ("units", "teens", "tens", "hundreds")
        for word in language[key]
    )


def is_number_word(token: str) -> bool:
    return token.isdigit() or token in _all_number_words()


def tokenize(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)?|[\wё]+", text.lower().replace("ё", "е"))


def _integer(tokens: list[str], i: int, w: _Words, language: str) -> tuple[int, int] | None:
    """Reads one whole number (up to 999) starting at token i: (value, next index)."""
    value, j, seen = 0, i, False
    if (
        language == "en"
        and j < len(tokens)
        and tokens[j] in ("a", "one")
        and j + 1 < len(tokens)
        and tokens[j + 1] == "hundred"
    ):
        value, j, seen = 100, j + 2, True
        if j < len(tokens) and tokens[j] == "and":
            j += 1
    elif j < len(tokens) and tokens[j] in w.hundreds and language == "ru":
        value, j, seen = w.hundreds[tokens[j]], j + 1, True
    elif (
        language == "en"
        and j + 1 < len(tokens)
        and tokens[j] in w.units
        and tokens[j + 1] == "hundred"
        and tokens[j] != "a"
    ):
        value, j, seen = w.units[tokens[j]] * 100, j + 2, True
        if j < len(tokens) and tokens[j] == "and":
            j += 1
    if (
        language == "en"
        and not seen
        and j + 1 < len(tokens)
        and tokens[j] in ("one", "two")
        and (tokens[j + 1] in w.tens or tokens[j + 1] in w.teens)
    ):
        # "one twenty over eighty": hundreds said without the word "hundred".
        value, j, seen = w.units[tokens[j]] * 100, j + 1, True
    if j < len(tokens) and tokens[j] in w.teens:
        return value + w.teens[tokens[j]], j + 1
    if j < len(tokens) and tokens[j] in w.tens:
        value, j, seen = value + w.tens[tokens[j]], j + 1, True
        if j < len(tokens) and tokens[j] in w.units and tokens[j] != "a":
            value, j = value + w.units[tokens[j]], j + 1
        return value, j
    if j < len(tokens) and tokens[j] in w.units and tokens[j] not in ("a", "oh"):
        return value + w.units[tokens[j]], j + 1
    return (value, j) if seen else None


def _fraction(
    tokens: list[str], i: int, w: _Words, language: str, most_digits: int = 2
) -> tuple[float, int] | None:
    """The part after a decimal separator: digits said one by one or as one number."""
    digits: list[int] = []
    j = i
    while (
        j < len(tokens) and tokens[j] in w.units and tokens[j] != "a" and len(digits) < most_digits
    ):
        digits.append(w.units[tokens[j]])
        j += 1
    if not digits:
        read = _integer(tokens, i, w, language)
        if read is None:
            return None
        number, j = read
        if j < len(tokens) and tokens[j] in w.suffixes:
            return number / 10, j + 1
        return number / (10 ** len(str(number))), j
    if j < len(tokens) and tokens[j] in w.suffixes:
        j += 1
    return float("0." + "".join(str(d) for d in digits)), j


THOUSANDS = {"тысяча": 1000, "тысячи": 1000, "тысяч": 1000, "тысячу": 1000, "thousand": 1000}
HALVES = {"полторы": 1.5, "полтора": 1.5}


def _thousands(tokens: list[str], i: int, w: _Words, language: str) -> tuple[int, int] | None:
    """ "тысяча", "две тысячи пятьсот", "полторы тысячи", "one thousand": (value, next)."""
    if i < len(tokens) and tokens[i] in THOUSANDS:
        count, j = 1.0, i
    elif i + 1 < len(tokens) and tokens[i] in HALVES and tokens[i + 1] in THOUSANDS:
        count, j = HALVES[tokens[i]], i + 1
    else:
        read = _integer(tokens, i, w, language)
        if read is None or read[1] >= len(tokens) or tokens[read[1]] not in THOUSANDS:
            return None
        count, j = float(read[0]), read[1]
    value, j = int(count * 1000), j + 1
    rest = _integer(tokens, j, w, language)
    if rest is not None:
        value, j = value + rest[0], rest[1]
    return value, j


def find_numbers(tokens: list[str], language: str) -> list[SpokenNumber]:
    w = _words(language)
    found: list[SpokenNumber] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if _DIGITS.match(token):
            found.append(SpokenNumber(float(token.replace(",", ".")), i, i + 1))
            i += 1
            continue
        read = _thousands(tokens, i, w, language) or _integer(tokens, i, w, language)
        if read is None:
            i += 1
            continue
        whole, j = read
        value: float = whole
        if j + 1 < len(tokens) and tokens[j] in w.separators:
            # "и" is also "and": only a single digit right after it makes a decimal,
            # as in "тридцать семь и восемь", not "пять и шесть дней" read as 5.6 too often.
            is_and = tokens[j] == "и"
            fraction = _fraction(tokens, j + 1, w, language, most_digits=1 if is_and else 2)
            if fraction is not None and (not is_and or fraction[1] - (j + 1) <= 2):
                value, j = whole + fraction[0], fraction[1]
        elif j + 1 < len(tokens) and tokens[j] in ("с",) and tokens[j + 1] == "половиной":
            value, j = whole + 0.5, j + 2
        elif tokens[j : j + 3] == ["and", "a", "half"]:
            value, j = whole + 0.5, j + 3
        elif whole == 0 and j < len(tokens) and tokens[j] in w.units and tokens[j] != "a":
            value, j = w.units[tokens[j]] / 10, j + 1  # "ноль пять": 0.5
        found.append(SpokenNumber(round(value, 3), i, j))
        i = j
    return found

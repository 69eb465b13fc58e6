"""What the suggester reads: the words of a complaint, folded the same way at fitting and use.

Doctors type "Т 37.5, АД 140/90"; the recogniser says "температура тридцать семь и пять".
Both are folded to lower case without punctuation, and the same features are cut from them
at fitting and at use, so the shipped weights mean the same thing in both places.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# A word is a run of letters or digits; hyphens and slashes split ("2-х" -> "2", "х").
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# The dataset masks dates as *ДАТА*; the recogniser never says it, so it carries no word.
_MASK = re.compile(r"\*[A-ZА-ЯЁ]+\*")


def words(text: str) -> list[str]:
    """The words of a text, lower case, ё as е, without punctuation or masked dates."""
    text = _MASK.sub(" ", text).lower().replace("ё", "е")
    return _WORD.findall(text)


Lemmatiser = Callable[[str], str]


def word_features(word: str, base: str | None, char_range: tuple[int, int]) -> list[str]:
    """The features of one word alone: the word ("w:"), its lemma ("l:") when lemmas are
    used, and its character n-grams inside word boundaries ("c:"), which catch misspellings
    and Russian endings."""
    out = ["w:" + word]
    if base is not None:
        out.append("l:" + base)
    padded = " " + word + " "
    low, high = char_range
    for n in range(low, min(high, len(padded)) + 1):
        out.extend("c:" + padded[k : k + n] for k in range(len(padded) - n + 1))
    return out


def bigram(previous: str, base: str) -> str:
    """Two adjacent words (lemmas when lemmas are used): "боль в", "в пояснице"."""
    return "b:" + previous + " " + base


def features(
    tokens: Iterable[str], lemma: Lemmatiser | None, char_range: tuple[int, int] = (2, 5)
) -> list[tuple[str, int]]:
    """The features cut from a text's words, each with the index of the word it came from
    (a bigram counts as its second word's), so that evidence can name the word."""
    out: list[tuple[str, int]] = []
    previous: str | None = None
    for i, word in enumerate(tokens):
        base = lemma(word) if lemma is not None else None
        out.extend((name, i) for name in word_features(word, base, char_range))
        key = base if base is not None else word
        if previous is not None:
            out.append((bigram(previous, key), i))
        previous = key
    return out

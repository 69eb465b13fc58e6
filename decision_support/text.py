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


def features(tokens: Iterable[str], lemma: Lemmatiser | None,
             char_range: tuple[int, int] = (2, 5)) -> list[tuple[str, int]]:
    """The features cut from words, each with the index of the word it came from.

    Word unigrams ("w:"), their lemmas ("l:") and adjacent-lemma bigrams ("b:") catch what
    a term means; character n-grams inside word boundaries ("c:") catch misspellings and
    Russian endings the lemmatiser does not know. The index lets evidence name the word.
    """
    out: list[tuple[str, int]] = []
    previous: str | None = None
    low, high = char_range
    for i, word in enumerate(tokens):
        out.append(("w:" + word, i))
        base = lemma(word) if lemma is not None else word
        if lemma is not None:
            out.append(("l:" + base, i))
        if previous is not None:
            out.append(("b:" + previous + " " + base, i))
        previous = base
        padded = " " + word + " "
        for n in range(low, high + 1):
            if n > len(padded):
                break
            out.extend(("c:" + padded[k:k + n], i) for k in range(len(padded) - n + 1))
    return out

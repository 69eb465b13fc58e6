"""Russian lemmas from pymorphy3's OpenCorpora dictionary, so "болит", "боли", "болью" meet."""

from __future__ import annotations

from functools import lru_cache

import pymorphy3


class Lemmas:
    """The most likely normal form of a word; cached, since complaints repeat their words."""

    def __init__(self) -> None:
        self._morph = pymorphy3.MorphAnalyzer(lang="ru")
        self.of = lru_cache(maxsize=50_000)(self._lemma)

    def _lemma(self, word: str) -> str:
        return str(self._morph.parse(word)[0].normal_form).replace("ё", "е")

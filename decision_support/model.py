"""The shipped suggester: arrays and JSON in, three ICD-10 codes with scores and evidence out.

Loading runs no code from the files (no pickle): the weights are a numpy archive read with
allow_pickle=False, the vocabulary and the metadata are JSON. Only numpy is needed here;
scikit-learn is needed to fit (decision_support.train), never to suggest.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from decision_support.chapters import Chapters
from decision_support.neighbours import Neighbours, Settings
from decision_support.text import Lemmatiser, bigram, word_features, words

MODEL_DIR = Path(__file__).parent / "model"
TITLES = Path(__file__).parent / "titles.json"


@dataclass(frozen=True)
class Suggestion:
    code: str
    title: str
    score: float  # the model's probability of this code, 0..1
    evidence: tuple[str, ...]  # the input words that pushed this code most, strongest first

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "score": round(self.score, 4),
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class Features:
    tokens: list[str]
    columns: np.ndarray  # the known features' columns, ascending
    values: np.ndarray  # their tf-idf values, l2-normalised
    which: np.ndarray  # for each occurrence of a feature, the index of its column
    counts: np.ndarray  # how often each column's feature occurs
    words_of: np.ndarray  # for each occurrence, the index of the word it came from


@dataclass(frozen=True)
class Answer:
    suggestions: tuple[Suggestion, ...]
    confidence: float  # the probability mass of the three codes, compared with the threshold
    abstained: bool  # below the calibrated confidence: no confident suggestion


class Suggester:
    """A linear model over tf-idf features of words, lemmas and character n-grams, with the
    votes of the nearest training visits added to its probabilities and the chapter
    regression's multiplied in, when the model has them."""

    def __init__(self, directory: Path = MODEL_DIR, titles: Path = TITLES) -> None:
        self.metadata: dict[str, Any] = json.loads((directory / "metadata.json").read_text())
        names = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        self._index = {name: i for i, name in enumerate(names)}
        with np.load(directory / "weights.npz", allow_pickle=False) as arrays:
            self._idf = arrays["idf"].astype(np.float32)
            # float16 halves the file; the recorded dev scores are those of these weights,
            # widened once here so that no suggestion pays for the conversion.
            self._coef = arrays["coef"].astype(np.float32)
            self._intercept = arrays["intercept"].astype(np.float32)
        self.classes: list[str] = self.metadata["classes"]
        self.threshold: float = float(self.metadata["abstain_below"])
        self._char_range = tuple(self.metadata["features"]["char_range"])
        self._lemma: Lemmatiser | None = None
        if self.metadata["features"]["lemmas"]:
            # Only a model fitted with --lemmas needs pymorphy3 (the shipped one does not).
            from decision_support.lemmas import Lemmas

            self._lemma = Lemmas().of
        self._neighbours: Neighbours | None = None
        if self.metadata.get("neighbours"):
            settings = Settings(**self.metadata["neighbours"])
            self._neighbours = Neighbours(directory, settings, len(self.classes))
        self._chapters: Chapters | None = None
        if self.metadata.get("chapter_power"):
            self._chapters = Chapters(directory, self.classes, self.metadata["chapter_power"])
        self._words = lru_cache(maxsize=100_000)(self._word)
        self._titles: dict[str, dict[str, str]] = json.loads(titles.read_text(encoding="utf-8"))[
            "codes"
        ]

    def _word(self, word: str) -> tuple[str, np.ndarray]:
        """A word's key for bigrams and the columns of its own known features (cached:
        a consultation says the same words again and again)."""
        base = self._lemma(word) if self._lemma is not None else None
        names = word_features(word, base, self._char_range)
        columns = [c for c in map(self._index.get, names) if c is not None]
        return (base if base is not None else word), np.array(columns, dtype=np.int64)

    def _vector(self, text: str) -> Features:
        """The text's tf-idf vector over known features, with each feature occurrence's word."""
        tokens = words(text)
        found: list[np.ndarray] = []
        said_by: list[int] = []  # for each array in `found`, the word it came from
        previous: str | None = None
        for i, word in enumerate(tokens):
            key, own = self._words(word)
            found.append(own)
            said_by.append(i)
            if previous is not None:
                column = self._index.get(bigram(previous, key))
                if column is not None:
                    found.append(np.array([column], dtype=np.int64))
                    said_by.append(i)
            previous = key
        occurrences = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        words_of = (
            np.repeat(np.array(said_by, dtype=np.int64), [len(f) for f in found])
            if found
            else occurrences
        )
        columns, which, counts = np.unique(occurrences, return_inverse=True, return_counts=True)
        values = (1.0 + np.log(counts.astype(np.float32))) * self._idf[columns]
        norm = float(np.linalg.norm(values))
        if norm > 0:
            values = values / norm
        return Features(tokens, columns, values.astype(np.float32), which, counts, words_of)

    def probabilities(self, text: str) -> np.ndarray:
        """The probability of every class for one text."""
        return self._probabilities(self._vector(text))

    def _probabilities(self, x: Features) -> np.ndarray:
        """The softmax of the linear scores, plus the nearest visits' votes at their weight,
        times the chapter's probability ** its power."""
        probability = self._softmax(self._scores(x))
        if self._neighbours is not None and len(x.columns):
            votes = self._neighbours.votes(x.columns, x.values)
            probability = probability + self._neighbours.settings.weight * votes
        if self._chapters is not None:
            probability = probability * self._chapters.factor(x.columns, x.values)
        return np.asarray(probability / probability.sum())

    def _scores(self, x: Features) -> np.ndarray:
        return np.asarray(x.values @ self._coef[x.columns] + self._intercept)

    @staticmethod
    def _softmax(scores: np.ndarray) -> np.ndarray:
        exp = np.exp(scores - scores.max())
        return np.asarray(exp / exp.sum())

    def suggest(
        self, text: str, language: str = "ru", top: int = 3, evidence_words: int = 4
    ) -> Answer:
        """The best `top` codes for a complaint, best first, and whether to abstain."""
        x = self._vector(text)
        probability = self._probabilities(x)
        best = np.argsort(-probability, kind="stable")[:top]
        confidence = float(probability[best].sum())
        out = []
        for k in best:
            code = self.classes[int(k)]
            evidence = self._evidence(x, int(k), evidence_words) if evidence_words else ()
            out.append(
                Suggestion(code, self.title(code, language), float(probability[k]), evidence)
            )
        return Answer(tuple(out), confidence, confidence < self.threshold)

    def _evidence(self, x: Features, k: int, limit: int) -> tuple[str, ...]:
        """Words whose features add most to class k's score; a feature seen several times
        shares its part evenly among the words it came from. Only words that push towards
        k count, and a word said twice adds both."""
        if not len(x.columns):
            return ()
        push = x.values * self._coef[x.columns, k]
        share = (push / x.counts)[x.which]
        per_position = np.bincount(x.words_of, weights=share, minlength=len(x.tokens))
        by_word: dict[str, float] = defaultdict(float)
        for position in np.flatnonzero(per_position):
            by_word[x.tokens[position]] += float(per_position[position])
        ranked = sorted(by_word.items(), key=lambda item: (-item[1], item[0]))
        return tuple(word for word, weight in ranked[:limit] if weight > 0)

    def title(self, code: str, language: str = "ru") -> str:
        entry = self._titles.get(code)
        if entry is None:
            return code
        return entry["ru" if language == "ru" else "en"]


@cache
def shipped() -> Suggester:
    """The shipped model, loaded once per process on first use: the protocol writer and the
    live console suggestions share it, so `telemed serve` holds one copy."""
    return Suggester()

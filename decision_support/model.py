"""The shipped suggester: arrays and JSON in, three ICD-10 codes with scores and evidence out.

Loading runs no code from the files (no pickle): the weights are a numpy archive read with
allow_pickle=False, the vocabulary and the metadata are JSON. Only numpy is needed here;
scikit-learn is needed to fit (decision_support.train), never to suggest.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from decision_support.text import Lemmatiser, features, words

MODEL_DIR = Path(__file__).parent / "model"
TITLES = Path(__file__).parent / "titles.json"


@dataclass(frozen=True)
class Suggestion:
    code: str
    title: str
    score: float  # the model's probability of this code, 0..1
    evidence: tuple[str, ...]  # the input words that pushed this code most, strongest first

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "title": self.title, "score": round(self.score, 4),
                "evidence": list(self.evidence)}


@dataclass(frozen=True)
class Answer:
    suggestions: tuple[Suggestion, ...]
    confidence: float  # the probability mass of the three codes, compared with the threshold
    abstained: bool  # below the calibrated confidence: no confident suggestion


class Suggester:
    """A linear model over tf-idf features of words, lemmas and character n-grams."""

    def __init__(self, directory: Path = MODEL_DIR, titles: Path = TITLES) -> None:
        self.metadata: dict[str, Any] = json.loads((directory / "metadata.json").read_text())
        names = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        self._index = {name: i for i, name in enumerate(names)}
        with np.load(directory / "weights.npz", allow_pickle=False) as arrays:
            self._idf = arrays["idf"].astype(np.float32)
            # float16 halves the file; the recorded dev scores are those of these weights.
            self._coef = arrays["coef"]
            self._intercept = arrays["intercept"].astype(np.float32)
        self.classes: list[str] = self.metadata["classes"]
        self.threshold: float = float(self.metadata["abstain_below"])
        self._char_range = tuple(self.metadata["features"]["char_range"])
        self._lemma: Lemmatiser | None = None
        if self.metadata["features"]["lemmas"]:
            # Only a model fitted with --lemmas needs pymorphy3 (the shipped one does not).
            from decision_support.lemmas import Lemmas

            self._lemma = Lemmas().of
        self._titles: dict[str, dict[str, str]] = json.loads(
            titles.read_text(encoding="utf-8"))["codes"]

    def _vector(self, text: str) -> tuple[list[str], np.ndarray, np.ndarray, list[list[int]]]:
        """The tokens, the known features' columns and tf-idf values, and each one's words."""
        tokens = words(text)
        counts: dict[int, int] = defaultdict(int)
        sources: dict[int, list[int]] = defaultdict(list)
        for name, position in features(tokens, self._lemma, self._char_range):  # type: ignore[arg-type]
            column = self._index.get(name)
            if column is not None:
                counts[column] += 1
                sources[column].append(position)
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        values = (1.0 + np.log(tf)) * self._idf[columns] if len(columns) else tf
        norm = float(np.linalg.norm(values))
        if norm > 0:
            values = values / norm
        return tokens, columns, values, [sources[c] for c in counts]

    def probabilities(self, text: str) -> np.ndarray:
        """The probability of every class for one text (softmax of the linear scores)."""
        _, columns, values, _ = self._vector(text)
        return self._softmax(self._scores(columns, values))

    def _scores(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        return values @ self._coef[columns].astype(np.float32) + self._intercept

    @staticmethod
    def _softmax(scores: np.ndarray) -> np.ndarray:
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()

    def suggest(self, text: str, language: str = "ru", top: int = 3,
                evidence_words: int = 4) -> Answer:
        """The best `top` codes for a complaint, best first, and whether to abstain."""
        tokens, columns, values, sources = self._vector(text)
        probability = self._softmax(self._scores(columns, values))
        best = np.argsort(-probability, kind="stable")[:top]
        confidence = float(probability[best].sum())
        out = []
        for k in best:
            code = self.classes[int(k)]
            out.append(Suggestion(code, self.title(code, language), float(probability[k]),
                                  self._evidence(tokens, values, columns, sources, int(k),
                                                 evidence_words)))
        return Answer(tuple(out), confidence, confidence < self.threshold)

    def _evidence(self, tokens: list[str], values: np.ndarray, columns: np.ndarray,
                  sources: list[list[int]], k: int, limit: int) -> tuple[str, ...]:
        """Words whose features add most to class k's score (a feature's share is split evenly
        among the words it came from); only words that push towards k count."""
        if not len(columns):
            return ()
        push = values * self._coef[columns, k].astype(np.float32)
        by_word: dict[str, float] = defaultdict(float)
        for contribution, positions in zip(push.tolist(), sources):
            for position in positions:
                by_word[tokens[position]] += contribution / len(positions)
        ranked = sorted(by_word.items(), key=lambda item: (-item[1], item[0]))
        return tuple(word for word, weight in ranked[:limit] if weight > 0)

    def title(self, code: str, language: str = "ru") -> str:
        entry = self._titles.get(code)
        if entry is None:
            return code
        return entry["ru" if language == "ru" else "en"]

"""The training visits most like a complaint, and the codes their doctors gave.

The regression weighs each feature once for all visits; the nearest visits remember
combinations of features that its single weights average away. Their votes are added to the
regression's probabilities (decision_support.model); cross-validation on train chose how
(decision_support.crossval).

The training visits' tf-idf vectors ship column by column (for each feature, the visits that
have it and its value there), so a complaint's similarity to every visit costs one pass over
the postings of its own features, with numpy alone. Features found in more than a tenth of
the visits (" б", "ли ") are left out of the similarity: they are in nearly every complaint,
add much the same to every visit's similarity, and held two fifths of the postings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FILE = "neighbours.npz"


@dataclass(frozen=True)
class Settings:
    k: int  # how many nearest visits vote
    power: float  # a vote weighs similarity ** power, so the closest visits count most
    weight: float  # the votes' share beside the regression's probabilities


class Neighbours:
    def __init__(self, directory: Path, settings: Settings, n_classes: int) -> None:
        with np.load(directory / FILE, allow_pickle=False) as arrays:
            self._starts = arrays["starts"].astype(np.int64)
            self._visits = arrays["visits"]  # uint16: widened only where a complaint reads it
            self._values = arrays["values"].astype(np.float32)
            self._codes = arrays["codes"].astype(np.int64)
        self.settings = settings
        self._n_classes = n_classes

    def votes(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Each class's share of the k nearest visits' similarity-weighted votes (zeros when
        the complaint shares no feature with any visit)."""
        begin, end = self._starts[columns], self._starts[columns + 1]
        lengths = end - begin
        # The positions of every posting of the complaint's features, in one array.
        offsets = np.repeat(begin - np.cumsum(lengths) + lengths, lengths)
        positions = offsets + np.arange(int(lengths.sum()))
        similarity = np.bincount(
            self._visits[positions],
            weights=self._values[positions] * np.repeat(values, lengths),
            minlength=len(self._codes),
        )
        k = min(self.settings.k, len(similarity))
        nearest = np.argpartition(-similarity, k - 1)[:k]
        strength = np.maximum(similarity[nearest], 0.0) ** self.settings.power
        out = np.bincount(self._codes[nearest], weights=strength, minlength=self._n_classes)
        total = out.sum()
        return out / total if total > 0 else out


def common(matrix_csc: Any, share: float) -> np.ndarray:
    """The columns of features found in more than `share` of the visits."""
    return np.flatnonzero(np.diff(matrix_csc.indptr) > share * matrix_csc.shape[0])


def without_common(matrix_csc: Any, share: float) -> Any:
    """The matrix with the common features' columns emptied (the columns stay, so a
    complaint's column numbers still index it)."""
    out = matrix_csc.copy()
    for column in common(matrix_csc, share):
        out.data[out.indptr[column] : out.indptr[column + 1]] = 0.0
    out.eliminate_zeros()
    return out


def save(directory: Path, matrix_csc: Any, codes: np.ndarray, share: float) -> None:
    """The training visits' tf-idf matrix (scipy CSC: visits by features) less its common
    features, and their class indices, as plain arrays; visit numbers fit uint16 and values
    float16 at this size."""
    kept = without_common(matrix_csc, share)
    indptr, indices, data = np.asarray(kept.indptr), np.asarray(kept.indices), kept.data
    visits_type = np.uint16 if len(codes) < 2**16 else np.uint32
    np.savez(
        directory / FILE,
        starts=indptr.astype(np.int32),
        visits=indices.astype(visits_type),
        values=data.astype(np.float16),
        codes=codes.astype(np.uint16),
    )

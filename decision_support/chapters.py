"""The ICD-10 chapter of a complaint, told by a regression of its own, weighing the codes.

Codes of one chapter (the code's letter: M for the musculoskeletal system, G for the
nervous system) are often given for complaints that read alike, so each code's visits are
few where the chapter's are many. A second multinomial regression on the same features tells
the chapter alone; its probability ** power multiplies each code's (decision_support.model).
Cross-validation on train chose the power (decision_support.crossval).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

FILE = "chapters.npz"


def letter(code: str) -> str:
    return code[0]


class Chapters:
    def __init__(self, directory: Path, classes: list[str], power: float) -> None:
        with np.load(directory / FILE, allow_pickle=False) as arrays:
            # float16 on disk as the codes' weights; widened once here.
            self._coef = arrays["coef"].astype(np.float32)
            self._intercept = arrays["intercept"].astype(np.float32)
            letters = [str(name) for name in arrays["letters"]]
        self._of_class = np.array([letters.index(letter(code)) for code in classes])
        self.power = power

    def factor(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        """For each code, its chapter's probability ** power, for a complaint's tf-idf vector."""
        scores = values @ self._coef[columns] + self._intercept
        probability = np.exp(scores - scores.max())
        probability /= probability.sum()
        return np.asarray(probability[self._of_class] ** self.power)


def save(directory: Path, model: Any) -> None:
    """The chapter regression (scikit-learn, fitted on letters) as plain arrays."""
    np.savez(
        directory / FILE,
        coef=model.coef_.T.astype(np.float16),
        intercept=model.intercept_.astype(np.float32),
        letters=np.array([str(c) for c in model.classes_]),
    )

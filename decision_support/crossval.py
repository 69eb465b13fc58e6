"""Chooses the nearest-visit votes' and the chapter's settings by cross-validation on train alone.

    python -m decision_support.crossval [--folds 3]

Each fold's regressions (codes and chapters) are fitted as `train` fits them, on the other
folds; the held-out visits' probabilities, plus the votes of their nearest visits in the
other folds, times their chapter's probability ** power, are scored for each setting.
Prints hit@1 and hit@3 over all of train for each setting, best last; dev is never read,
so the settings it picks are not fitted to the figures reported on dev.
"""

from __future__ import annotations

import argparse
import itertools
import json

import numpy as np
from sklearn.model_selection import StratifiedKFold

from decision_support import chapters, dataset
from decision_support.neighbours import without_common
from decision_support.train import COMMON_SHARE, fit, fit_chapters

GRID_K = (20, 30, 50)
GRID_POWER = (2.0, 3.0, 4.0)
GRID_VOTES = (0.0, 0.25, 0.5, 0.75, 1.0)
GRID_CHAPTER = (0.0, 0.25, 0.5, 1.0)


def votes(similarity: np.ndarray, codes: np.ndarray, n: int, k: int, power: float) -> np.ndarray:
    """Each row's class shares of its k most similar visits' votes (as neighbours.votes)."""
    nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    rows = np.arange(len(similarity))[:, None]
    strength = np.maximum(similarity[rows, nearest], 0.0) ** power
    out = np.zeros((len(similarity), n))
    np.add.at(out, (np.broadcast_to(rows, nearest.shape), codes[nearest]), strength)
    total = out.sum(axis=1, keepdims=True)
    return np.asarray(np.divide(out, total, out=np.zeros_like(out), where=total > 0))


def hits(probability: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    top = np.argsort(-probability, axis=1, kind="stable")[:, :3]
    return float((top[:, 0] == truth).mean()), float((top == truth[:, None]).any(axis=1).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m decision_support.crossval", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--c", type=float, default=10.0)
    args = parser.parse_args(argv)
    visits = dataset.read("train")
    classes = sorted({v.code for v in visits})
    truth = np.array([classes.index(v.code) for v in visits])
    regression = np.zeros((len(visits), len(classes)))
    chapter = np.zeros_like(regression)  # each code's chapter's probability
    grid = list(itertools.product(GRID_K, GRID_POWER))
    voted = {setting: np.zeros_like(regression) for setting in grid}
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0).split(visits, truth)
    for fitted_on, held_out in folds:
        vectorizer, model = fit(
            [visits[i] for i in fitted_on],
            c=args.c,
            lemmas=False,
            char_range=(2, 5),
            speech_mix=False,
            min_df=2,
            max_iter=300,
        )
        known = vectorizer.transform([visits[i].text for i in fitted_on]).tocsc()
        asked = vectorizer.transform([visits[i].text for i in held_out])
        columns = [classes.index(str(c)) for c in model.classes_]
        regression[np.ix_(held_out, columns)] = model.predict_proba(asked)
        fitted = [visits[i] for i in fitted_on]
        by_letter = fit_chapters(vectorizer, fitted, c=args.c, max_iter=300)
        letters = [str(c) for c in by_letter.classes_]
        of_class = [letters.index(chapters.letter(code)) for code in classes]
        chapter[held_out] = by_letter.predict_proba(asked)[:, of_class]
        similarity = (asked @ without_common(known, COMMON_SHARE).T).toarray()
        for k, power in grid:
            voted[k, power][held_out] = votes(similarity, truth[fitted_on], len(classes), k, power)
    results = []
    for (k, power), weight, by in itertools.product(grid, GRID_VOTES, GRID_CHAPTER):
        blended = (regression + weight * voted[k, power]) * chapter**by
        hit1, hit3 = hits(blended, truth)
        results.append(
            {"k": k, "power": power, "votes": weight, "chapter": by, "hit@1": hit1, "hit@3": hit3}
        )
    results.sort(key=lambda r: r["hit@1"] + r["hit@3"])
    for result in results:
        print(json.dumps({key: round(v, 4) for key, v in result.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fits the suggester on RuMedTop3 train and ships it as arrays and JSON, scored on dev.

    python -m decision_support.train            (or: telemed suggest train)

Deterministic: the features are counted in a fixed order, lbfgs has no randomness and the
fit runs on one thread, so the same data gives the same weights. scikit-learn is needed here
only; the shipped model is read by decision_support.model with numpy.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from decision_support import chapters, dataset, neighbours, scoring
from decision_support.dataset import Visit
from decision_support.lemmas import Lemmas
from decision_support.model import MODEL_DIR, Suggester
from decision_support.speech import speech_like
from decision_support.text import features, words

COMMAND = "python -m decision_support.train"
# The nearest-visit votes' settings, chosen by decision_support.crossval on train alone.
K, POWER, VOTES = 50, 3.0, 0.25
# The chapter regression's probability ** this multiplies each code's (decision_support.chapters),
# chosen by decision_support.crossval on train too.
CHAPTER_POWER = 0.25
# Features in more than this share of the training visits carry no similarity: a quarter of
# the work for a consultation's vote (decision_support.neighbours).
COMMON_SHARE = 0.1


class Analyzer:
    """The feature names of a text, as the shipped model cuts them (decision_support.text)."""

    def __init__(self, lemmas: Lemmas | None, char_range: tuple[int, int]) -> None:
        self.lemma = lemmas.of if lemmas is not None else None
        self.char_range = char_range

    def __call__(self, text: str) -> list[str]:
        return [name for name, _ in features(words(text), self.lemma, self.char_range)]


def fit(
    visits: list[Visit],
    *,
    c: float,
    lemmas: bool,
    char_range: tuple[int, int],
    speech_mix: bool,
    min_df: int,
    max_iter: int,
) -> tuple[TfidfVectorizer, LogisticRegression]:
    """tf-idf over words, word bigrams, character n-grams (and lemmas when asked), then a
    multinomial logistic regression. With speech_mix every visit is seen twice: as typed and as a
    recogniser would write it, so the weights do not lean on punctuation or digits."""
    texts = [v.text for v in visits]
    codes = [v.code for v in visits]
    if speech_mix:
        texts += [speech_like(t) for t in texts]
        codes += codes
    vectorizer = TfidfVectorizer(
        analyzer=Analyzer(Lemmas() if lemmas else None, char_range),
        sublinear_tf=True,
        min_df=min_df,
        dtype=np.float32,
    )
    matrix = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=c, max_iter=max_iter, tol=1e-4)
    # One thread: scikit-learn's loss sums in parallel, and the order of a parallel sum
    # changes the last bits, which lbfgs carries into different weights run to run.
    with threadpool_limits(limits=1):
        model.fit(matrix, codes)
    return vectorizer, model


def fit_chapters(
    vectorizer: TfidfVectorizer, visits: list[Visit], *, c: float, max_iter: int
) -> LogisticRegression:
    """A multinomial regression on the codes' features that tells the ICD-10 chapter (the
    code's letter) alone, from all the visits of its codes together."""
    model = LogisticRegression(C=c, max_iter=max_iter, tol=1e-4)
    with threadpool_limits(limits=1):
        model.fit(
            vectorizer.transform([v.text for v in visits]),
            [chapters.letter(v.code) for v in visits],
        )
    return model


def export(
    vectorizer: TfidfVectorizer,
    model: LogisticRegression,
    directory: Path,
    metadata: dict[str, Any],
    visits: list[Visit] | None = None,
    chapter_model: LogisticRegression | None = None,
) -> None:
    """Vocabulary as a JSON list in column order; idf, weights (float16) and intercepts in
    an npz of plain arrays; the metadata (classes, feature settings) as JSON; with `visits`,
    their tf-idf vectors for the nearest-visit votes (decision_support.neighbours); with
    `chapter_model`, the chapter regression (decision_support.chapters)."""
    directory.mkdir(parents=True, exist_ok=True)
    names = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    (directory / "vocabulary.json").write_text(
        json.dumps(names, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    # Not compressed: float16 weights hardly compress, and inflating them doubles the load.
    np.savez(
        directory / "weights.npz",
        idf=vectorizer.idf_.astype(np.float32),
        coef=model.coef_.T.astype(np.float16),
        intercept=model.intercept_.astype(np.float32),
    )
    classes = [str(c) for c in model.classes_]
    if visits is not None:
        matrix = vectorizer.transform([v.text for v in visits]).tocsc()
        codes = np.array([classes.index(v.code) for v in visits])
        neighbours.save(directory, matrix, codes, COMMON_SHARE)
    else:
        (directory / neighbours.FILE).unlink(missing_ok=True)
    if chapter_model is not None:
        chapters.save(directory, chapter_model)
    else:
        (directory / chapters.FILE).unlink(missing_ok=True)
    _write_metadata(directory, {**metadata, "classes": classes})


def _write_metadata(directory: Path, metadata: dict[str, Any]) -> None:
    (directory / "metadata.json").write_text(
        json.dumps(metadata, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def score(directory: Path, dev: list[Visit]) -> dict[str, Any]:
    """The exported model's own dev figures (as loaded, float16 weights and all)."""
    suggester = Suggester(directory)
    clean = scoring.rank(suggester, dev)
    speech = scoring.rank(suggester, dev, speech=True)
    return {
        "dev_clean": scoring.hits(clean),
        "dev_speech_like": scoring.hits(speech),
        "dev_cases": len(dev),
        "abstain_below": scoring.abstain_threshold(clean),
        "coverage_curve_clean": scoring.coverage_curve(clean),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m decision_support.train", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", type=Path, default=None, help="folder of train_v1/dev_v1")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument(
        "--sample", type=int, default=0, help="fit on the first N training visits only (tests)"
    )
    parser.add_argument("--c", type=float, default=10.0)
    # Both measured on dev and off by default (decision_support/README.md has the figures).
    parser.add_argument("--lemmas", action="store_true", help="add pymorphy3 lemmas")
    parser.add_argument(
        "--speech-mix", action="store_true", help="also fit on every visit made speech-like"
    )
    parser.add_argument("--min-df", type=int, default=2)
    parser.add_argument("--max-iter", type=int, default=300)
    # Chosen by 3-fold cross-validation on train (python -m decision_support.crossval).
    parser.add_argument("--k", type=int, default=K, help="nearest training visits that vote")
    parser.add_argument("--power", type=float, default=POWER, help="a vote is similarity**power")
    parser.add_argument(
        "--votes", type=float, default=VOTES, help="the votes' weight (0: regression alone)"
    )
    parser.add_argument(
        "--chapter",
        type=float,
        default=CHAPTER_POWER,
        help="power of the chapter regression's probability (0: no chapter regression)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    train = dataset.read("train", args.data)
    dev = dataset.read("dev", args.data)
    if args.sample:
        train = train[: args.sample]
    settings = {
        "c": args.c,
        "lemmas": args.lemmas,
        "char_range": (2, 5),
        "speech_mix": args.speech_mix,
        "min_df": args.min_df,
        "max_iter": args.max_iter,
    }
    vectorizer, model = fit(train, **settings)
    chapter_model = (
        fit_chapters(vectorizer, train, c=args.c, max_iter=args.max_iter)
        if args.chapter > 0
        else None
    )
    given = sys.argv[1:] if argv is None else argv
    command = " ".join([COMMAND, *given])
    votes = {"k": args.k, "power": args.power, "weight": args.votes} if args.votes > 0 else None
    metadata: dict[str, Any] = {
        "model": "tf-idf (words, word bigrams, char_wb 2-5"
        + (", lemmas" if args.lemmas else "")
        + ") + multinomial logistic regression"
        + (", plus the k nearest training visits' votes" if votes else "")
        + (", times the chapter regression's probability" if chapter_model else ""),
        "features": {
            "lemmas": settings["lemmas"],
            "char_range": list(settings["char_range"]),
            "sublinear_tf": True,
            "norm": "l2",
        },
        "settings": {**settings, "char_range": list(settings["char_range"])},
        "neighbours": votes,
        "chapter_power": args.chapter if chapter_model else None,
        "training_command": command,
        "data_source": dataset.SOURCE,
        "data_license": dataset.LICENSE,
        "train_cases": len(train),
        "abstain_below": 0.0,
    }
    export(vectorizer, model, args.out, metadata, train if votes else None, chapter_model)
    metadata = {**json.loads((args.out / "metadata.json").read_text()), **score(args.out, dev)}
    metadata["training_seconds"] = round(time.monotonic() - started, 1)
    _write_metadata(args.out, metadata)
    print(
        json.dumps(
            {
                k: metadata[k]
                for k in ("dev_clean", "dev_speech_like", "abstain_below", "training_seconds")
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

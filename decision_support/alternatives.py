"""Reproduces the "what was tried" rows of decision_support/README.md that `train` flags do not.

    python -m decision_support.alternatives VARIANT

Each variant is fitted on train and printed on dev alone and added to the shipped model's
probabilities (clean dev, hit@1 / hit@3), but `boundary-in-place`: the shipped regression
replaced, on clean and speech-like dev. None of them ships; they are here so that anyone can
check why.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB
from sklearn.neural_network import MLPClassifier
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from decision_support import chapters, dataset
from decision_support.crossval import hits, votes
from decision_support.model import Suggester
from decision_support.neighbours import without_common
from decision_support.speech import speech_like
from decision_support.text import words
from decision_support.train import CHAPTER_POWER, COMMON_SHARE, POWER, VOTES, Analyzer, K

Probabilities = np.ndarray


def _joined(visits: list[dataset.Visit]) -> list[str]:
    return [" ".join(words(v.text)) for v in visits]


def _spread(probability: np.ndarray, fitted: np.ndarray, n: int) -> np.ndarray:
    """Probabilities over the fitted classes placed in the shipped model's columns."""
    out = np.zeros((len(probability), n))
    out[:, fitted] = probability
    return out


def word_regression(train: list[str], y: np.ndarray, dev: list[str], n: int) -> Probabilities:
    """tf-idf of words and word pairs only, multinomial logistic regression (C = 10)."""
    vectorizer = TfidfVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), sublinear_tf=True)
    model = LogisticRegression(C=10.0, max_iter=300).fit(vectorizer.fit_transform(train), y)
    return _spread(model.predict_proba(vectorizer.transform(dev)), model.classes_, n)


def complement_nb(train: list[str], y: np.ndarray, dev: list[str], n: int) -> Probabilities:
    """Complement naive Bayes over counts of words and word pairs (alpha 0.3)."""
    vectorizer = CountVectorizer(token_pattern=r"\S+", ngram_range=(1, 2))
    model = ComplementNB(alpha=0.3).fit(vectorizer.fit_transform(train), y)
    return _spread(model.predict_proba(vectorizer.transform(dev)), model.classes_, n)


def nb_regression(train: list[str], y: np.ndarray, dev: list[str], n: int) -> Probabilities:
    """NB-LR: per code, binary word and word-pair features scaled by their naive Bayes
    log-count ratio, one-vs-rest logistic regressions, softmax of their scores."""
    vectorizer = CountVectorizer(token_pattern=r"\S+", ngram_range=(1, 2), binary=True)
    known = vectorizer.fit_transform(train).astype(np.float64)
    asked = vectorizer.transform(dev).astype(np.float64)
    total = np.asarray(known.sum(axis=0)).ravel()
    scores = np.full((len(dev), n), -30.0)
    for k in np.unique(y):
        present = np.asarray(known[y == k].sum(axis=0)).ravel() + 1.0
        absent = total - present + 2.0
        ratio = sp.diags(np.log((present / present.sum()) / (absent / absent.sum())))
        model = LogisticRegression(C=1.0, solver="liblinear").fit(known @ ratio, y == k)
        scores[:, k] = model.decision_function(asked @ ratio)
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def _across(text: str) -> list[str]:
    """The character 2-6-grams of the folded text, across word boundaries ("ль в п")."""
    return [text[k : k + n] for n in range(2, 7) for k in range(len(text) - n + 1)]


def _char_tfidf() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=lambda t: _across(f" {t} "), sublinear_tf=True, min_df=2)


def char_svm(train: list[str], y: np.ndarray, dev: list[str], n: int) -> Probabilities:
    """A linear SVM (C = 0.3, one-vs-rest) over character 2-6-grams across word
    boundaries; its scores made probabilities by a softmax of 3 times the score."""
    vectorizer = _char_tfidf()
    model = LinearSVC(C=0.3).fit(vectorizer.fit_transform(train), y)
    scores = np.full((len(dev), n), -30.0)
    scores[:, model.classes_] = 3.0 * model.decision_function(vectorizer.transform(dev))
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def char_votes(train: list[str], y: np.ndarray, dev: list[str], n: int) -> Probabilities:
    """The votes of the 20 training visits nearest in character 2-6-grams across word
    boundaries (cosine, similarity cubed), every feature kept."""
    vectorizer = _char_tfidf()
    known = vectorizer.fit_transform(train)
    return votes((vectorizer.transform(dev) @ known.T).toarray(), y, n, 20, 3.0)


def _boundary(text: str) -> list[str]:
    """The shipped features plus the character 3-6-grams that span a word boundary."""
    padded = f" {text} "
    across = [
        "x:" + padded[k : k + n]
        for n in range(3, 7)
        for k in range(len(padded) - n + 1)
        if " " in padded[k + 1 : k + n - 1]
    ]
    return Analyzer(None, (2, 5))(text) + across


def boundary_regression(train: list[str], y: np.ndarray, dev: list[str], n: int) -> Probabilities:
    """The shipped regression's features plus character 3-6-grams across word boundaries
    (in at least three visits: 89,115 features), multinomial logistic regression (C = 10)."""
    vectorizer = TfidfVectorizer(analyzer=_boundary, sublinear_tf=True, min_df=3)
    model = LogisticRegression(C=10.0, max_iter=300).fit(vectorizer.fit_transform(train), y)
    return _spread(model.predict_proba(vectorizer.transform(dev)), model.classes_, n)


def mlp(train: list[str], y: np.ndarray, dev: list[str], n: int) -> Probabilities:
    """A one-hidden-layer network (128 relu units, adam, alpha 1e-3, 30 epochs, seed 0) over
    the shipped tf-idf features."""
    vectorizer = TfidfVectorizer(analyzer=Analyzer(None, (2, 5)), sublinear_tf=True, min_df=2)
    model = MLPClassifier(
        hidden_layer_sizes=(128,),
        alpha=1e-3,
        batch_size=200,
        max_iter=30,
        n_iter_no_change=30,
        tol=0.0,
        random_state=0,
    ).fit(vectorizer.fit_transform(train), y)
    return _spread(model.predict_proba(vectorizer.transform(dev)), model.classes_, n)


def _int8(coef: np.ndarray) -> np.ndarray:
    """The weights as int8 times one scale (the largest weight over 127), widened back."""
    scale = float(np.abs(coef).max()) / 127.0
    return np.asarray(np.round(coef / scale).astype(np.int8).astype(np.float64) * scale)


def boundary_in_place(
    train: list[str], y: np.ndarray, asked: list[str], classes: list[str]
) -> dict[str, Probabilities]:
    """The boundary-grams regression in place of the shipped one, beside the votes and the
    chapter regression fitted as `train` fits them, on the shipped features; its weights as
    fitted and as int8 (one scale: the largest weight over 127)."""
    n = len(classes)
    shipped = TfidfVectorizer(analyzer=Analyzer(None, (2, 5)), sublinear_tf=True, min_df=2)
    known = shipped.fit_transform(train)
    letters = [chapters.letter(code) for code in classes]
    by_letter = LogisticRegression(C=10.0, max_iter=300).fit(known, [letters[k] for k in y])
    of_class = [list(by_letter.classes_).index(letter) for letter in letters]
    x = shipped.transform(asked)
    similarity = (x @ without_common(known.tocsc(), COMMON_SHARE).T).toarray()
    voted = VOTES * votes(similarity, y, n, K, POWER)
    factor = by_letter.predict_proba(x)[:, of_class] ** CHAPTER_POWER
    boundary = TfidfVectorizer(analyzer=_boundary, sublinear_tf=True, min_df=3)
    model = LogisticRegression(C=10.0, max_iter=300).fit(boundary.fit_transform(train), y)
    coef = model.coef_.T
    scale = float(np.abs(coef).max()) / 127.0
    out = {}
    for name, weights in (
        ("float", coef),
        ("int8", np.round(coef / scale).astype(np.int8) * scale),
    ):
        scores = boundary.transform(asked) @ weights + model.intercept_
        exp = np.exp(scores - scores.max(axis=1, keepdims=True))
        regression = _spread(exp / exp.sum(axis=1, keepdims=True), model.classes_, n)
        out[name] = (regression + voted) * factor
    return out


VARIANTS: dict[str, tuple[Callable[..., Probabilities], float | None]] = {
    # name: (fit on train and give dev probabilities, weight when added to the shipped ones;
    # None: two regressions, averaged in log space)
    "words": (word_regression, None),
    "complement-nb": (complement_nb, 0.25),
    "nb-lr": (nb_regression, 0.25),
    "char-svm": (char_svm, 0.5),
    "char-votes": (char_votes, 0.25),
    "boundary-grams": (boundary_regression, 1.0),
    "mlp": (mlp, 0.5),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m decision_support.alternatives", description=__doc__.splitlines()[0]
    )
    parser.add_argument("variant", choices=[*VARIANTS, "prior", "chapter", "boundary-in-place"])
    args = parser.parse_args(argv)
    suggester = Suggester()
    train, dev = dataset.read("train"), dataset.read("dev")
    index = {code: i for i, code in enumerate(suggester.classes)}
    y = np.array([index[v.code] for v in train])
    truth = np.array([index.get(v.code, -1) for v in dev])
    shipped = np.array([suggester.probabilities(v.text) for v in dev])
    n = len(suggester.classes)
    if args.variant == "boundary-in-place":
        # Clean and speech-like dev, the regression's weights as fitted and as int8.
        asked = _joined(dev) + [" ".join(words(speech_like(v.text))) for v in dev]
        with threadpool_limits(limits=1):
            found = boundary_in_place(_joined(train), y, asked, suggester.classes)
        halves = {"clean": slice(0, len(dev)), "speech-like": slice(len(dev), None)}
        figures = {
            f"{half} {name}": hits(p[rows], truth)
            for name, p in found.items()
            for half, rows in halves.items()
        }
        print(json.dumps({name: [round(v, 4) for v in pair] for name, pair in figures.items()}))
        return 0
    if args.variant == "prior":
        # Rare codes' probabilities raised: divided by the training share ** 0.2.
        alone = blended = shipped / (np.bincount(y, minlength=n) / len(y)) ** 0.2
    elif args.variant == "chapter":
        # The ICD-10 chapter's probability (codes sharing the letter) multiplied in.
        letter = np.unique([c[0] for c in suggester.classes], return_inverse=True)[1]
        chapter = np.zeros((len(dev), letter.max() + 1))
        np.add.at(chapter.T, letter, shipped.T)
        alone = blended = shipped * chapter[:, letter] ** 0.5
    else:
        fitter, weight = VARIANTS[args.variant]
        with threadpool_limits(limits=1):
            alone = fitter(_joined(train), y, _joined(dev), n)
        if weight is None:
            blended = np.log(shipped + 1e-12) + np.log(alone + 1e-12)
        else:
            blended = shipped + weight * alone
    figures = {"shipped": hits(shipped, truth), "alone": hits(alone, truth)}
    figures["added to the shipped"] = hits(blended, truth)
    print(json.dumps({name: [round(v, 4) for v in pair] for name, pair in figures.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

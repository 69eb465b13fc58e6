"""The shipped suggester: it reproduces its recorded dev figures, refits the same way twice,
names every code it can return, and abstains below its calibrated confidence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from decision_support import chapters, dataset, neighbours, scoring
from decision_support.crossval import votes
from decision_support.model import MODEL_DIR, TITLES, Suggester
from decision_support.text import words
from decision_support.train import fit, fit_chapters

pytestmark = pytest.mark.skipif(
    not (dataset.data_dir() / "dev_v1.jsonl").exists(),
    reason="RuMedTop3 (shared/datasets/rumedtop3) is not beside the repository",
)


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester()


def test_shipped_model_reproduces_its_recorded_dev_figures(suggester: Suggester) -> None:
    dev = dataset.read("dev")
    assert len(dev) == suggester.metadata["dev_cases"]
    clean = scoring.rank(suggester, dev)
    assert scoring.hits(clean) == suggester.metadata["dev_clean"]
    assert (
        scoring.hits(scoring.rank(suggester, dev, speech=True))
        == suggester.metadata["dev_speech_like"]
    )
    assert scoring.abstain_threshold(clean) == suggester.threshold
    assert scoring.coverage_curve(clean) == suggester.metadata["coverage_curve_clean"]


SMALL = {
    "c": 10.0,
    "lemmas": False,
    "char_range": (2, 5),
    "speech_mix": False,
    "min_df": 2,
    "max_iter": 40,
}


def test_refitting_a_sample_gives_the_same_weights_twice() -> None:
    visits = dataset.read("train")[:150]
    first_vectorizer, first = fit(visits, **SMALL)  # type: ignore[arg-type]
    second_vectorizer, second = fit(visits, **SMALL)  # type: ignore[arg-type]
    assert first_vectorizer.vocabulary_ == second_vectorizer.vocabulary_
    assert first_vectorizer.vocabulary_  # something was learned
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)
    assert list(first.classes_) == sorted({v.code for v in visits})


def test_shipped_files_are_data_only_and_small() -> None:
    names = sorted(p.name for p in MODEL_DIR.iterdir())
    assert names == [
        "chapters.npz",
        "metadata.json",
        "neighbours.npz",
        "vocabulary.json",
        "weights.npz",
    ]
    assert sum(p.stat().st_size for p in MODEL_DIR.iterdir()) <= 25 * 1024 * 1024
    for archive in ("weights.npz", "neighbours.npz", "chapters.npz"):
        with np.load(MODEL_DIR / archive, allow_pickle=False) as arrays:
            assert all(arrays[name].dtype != object for name in arrays.files)
    metadata = json.loads((MODEL_DIR / "metadata.json").read_text())
    assert metadata["data_license"] == "Apache-2.0"
    assert metadata["training_command"].startswith("python -m decision_support.train")


def test_shipped_votes_are_those_cross_validation_scored(tmp_path: Path) -> None:
    """The shipped postings give each complaint the nearest-visit votes that crossval's
    matrix arithmetic gives it, so the settings it chose mean the same thing at use."""
    visits = dataset.read("train")[:300]
    vectorizer = fit(visits, **SMALL)[0]  # type: ignore[arg-type]
    known = vectorizer.transform([v.text for v in visits])
    classes = sorted({v.code for v in visits})
    codes = np.array([classes.index(v.code) for v in visits])
    neighbours.save(tmp_path, known.tocsc(), codes, share=0.1)
    settings = neighbours.Settings(k=30, power=3.0, weight=0.5)
    shipped = neighbours.Neighbours(tmp_path, settings, len(classes))
    asked = vectorizer.transform([v.text for v in dataset.read("dev")[:30]])
    rare = neighbours.without_common(known.tocsc(), 0.1)
    expected = votes((asked @ rare.T).toarray(), codes, len(classes), 30, 3.0)
    for i, row in enumerate(expected):
        columns, values = asked[i].indices, asked[i].data
        order = np.argsort(columns)
        got = shipped.votes(columns[order].astype(np.int64), values[order])
        np.testing.assert_allclose(got, row, atol=0.02)  # float16 values, as shipped
        assert got.sum() == pytest.approx(1.0)


def test_shipped_chapter_factor_is_the_chapter_regressions(tmp_path: Path) -> None:
    """The shipped chapter arrays give each code its chapter's probability ** power as the
    scikit-learn regression that crossval scored gives it."""
    visits = dataset.read("train")[:300]
    vectorizer = fit(visits, **SMALL)[0]  # type: ignore[arg-type]
    model = fit_chapters(vectorizer, visits, c=10.0, max_iter=300)
    chapters.save(tmp_path, model)
    classes = sorted({v.code for v in visits})
    shipped = chapters.Chapters(tmp_path, classes, power=0.5)
    letters = [str(c) for c in model.classes_]
    asked = vectorizer.transform([v.text for v in dataset.read("dev")[:30]])
    expected = model.predict_proba(asked)[:, [letters.index(c[0]) for c in classes]] ** 0.5
    for i, row in enumerate(expected):
        columns, values = asked[i].indices, asked[i].data
        order = np.argsort(columns)
        got = shipped.factor(columns[order].astype(np.int64), values[order])
        np.testing.assert_allclose(got, row, rtol=0.02)  # float16 weights, as shipped
    assert len(set(letters)) > 3  # several chapters were told apart


def test_every_code_it_can_return_has_russian_and_english_titles(suggester: Suggester) -> None:
    titles = json.loads(TITLES.read_text(encoding="utf-8"))["codes"]
    for code in suggester.classes:
        assert titles[code]["ru"] and titles[code]["en"], code
        assert suggester.title(code, "en") == titles[code]["en"]


def test_suggestions_are_ranked_with_evidence_from_the_input(suggester: Suggester) -> None:
    for visit in dataset.read("dev")[:40]:
        answer = suggester.suggest(visit.text)
        scores = [s.score for s in answer.suggestions]
        assert len(scores) == 3 and scores == sorted(scores, reverse=True)
        assert answer.confidence == pytest.approx(sum(scores))
        assert set(answer.suggestions[0].evidence) <= set(words(visit.text))


def test_it_abstains_below_the_calibrated_confidence(suggester: Suggester) -> None:
    assert 0 < suggester.threshold < 1
    answers = [suggester.suggest(v.text) for v in dataset.read("dev")[:300]]
    assert all(a.abstained == (a.confidence < suggester.threshold) for a in answers)
    assert any(a.abstained for a in answers) and not all(a.abstained for a in answers)
    # Words it has never seen carry no evidence, so it has nothing confident to say.
    assert suggester.suggest("").abstained

"""bench.suggest keeps working (its figures are read by people, not asserted)."""

from __future__ import annotations

from tests.test_bench import quick


def test_suggest_bench_runs_quick() -> None:
    figures = quick("suggest")
    assert figures["suggestions_timed"] == 60 and figures["load_s"] > 0
    assert {"median_ms", "p95_ms", "max_ms"} <= set(figures["one_consultation"])
    assert figures["rss_added_mib"] > 0
    # `telemed serve` must not pay for the fitting library.
    assert figures["scikit_learn_imported"] is False

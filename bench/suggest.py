"""What decision support costs the platform: model load time, resident memory added, and the
time of one suggestion, for a single complaint and for a whole consultation's patient text.

The console asks for a suggestion after every final segment of the patient's, over all the
patient has said so far, so the long case is the one that matters (goal: p95 ≤ 20 ms).
Memory is this process's resident set before `decision_support` is imported and after the
model is loaded (goal ≤ 100 MB; numpy is counted, though `telemed serve` has it already).

    python -m bench.suggest [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def rss_mib() -> float:
    """Resident memory now (not the peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="50 complaints, one repeat")
    args = parser.parse_args(argv)
    before = rss_mib()
    started = time.perf_counter()
    from decision_support import Suggester, dataset
    from decision_support.speech import speech_like

    suggester = Suggester()
    load_s = time.perf_counter() - started
    loaded = rss_mib()
    dev = dataset.read("dev")[: 50 if args.quick else None]
    # What the recogniser gives: lower case, no punctuation, numbers as words.
    complaints = [speech_like(v.text) for v in dev]
    # A consultation: the patient's text grows to several complaints' worth (~130 words).
    consultations = [" ".join(complaints[i : i + 5]) for i in range(0, len(complaints), 5)]
    single: list[float] = []
    whole: list[float] = []
    for _ in range(1 if args.quick else args.repeats):
        for texts, times in ((complaints, single), (consultations, whole)):
            for text in texts:
                t = time.perf_counter()
                suggester.suggest(text)
                times.append(time.perf_counter() - t)
    figures: dict[str, Any] = {
        "load_s": round(load_s, 3),
        "rss_before_mib": round(before, 1),
        "rss_added_mib": round(loaded - before, 1),
        "rss_added_after_use_mib": round(rss_mib() - before, 1),
        "model_files_mib": round(
            sum(
                p.stat().st_size
                for p in (
                    Path(sys.modules["decision_support"].__file__ or "").parent / "model"
                ).iterdir()
            )
            / 2**20,
            2,
        ),
        "complaint_words_median": statistics.median(len(t.split()) for t in complaints),
        "consultation_words_median": statistics.median(len(t.split()) for t in consultations),
        "one_complaint": summary(single),
        "one_consultation": summary(whole),
        "suggestions_timed": len(single) + len(whole),
        "scikit_learn_imported": "sklearn" in sys.modules,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

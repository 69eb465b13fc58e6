"""The protocol writer's latency: one transcript to a structured protocol, per consultation.

Runs `extract_protocol` over every consultation of the test corpora (ours, the blind
challenge set, the held-out set) and ACI-Bench train as Vosk would write it, each `--repeats`
times after one warm-up pass (vocabularies load once per process), and prints the median,
p95 and worst time per consultation with the transcript's length. Its natural limit, measured
in the same run: reading and splitting the same transcripts (`parse_transcript`).

It also prices the live draft (`signaling/live_draft.py`), which runs the writer over the
whole transcript so far after every phrase: all those passes over the longest ACI-Bench
consultation, and over the Russian challenge consultations read as one long call.

    python -m bench.protocol [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from clinic.domain import Segment
from protocol_writer.extract import extract_protocol
from protocol_writer.transcripts import parse_transcript
from tests.aci_bench import DATASET, encounters

TESTS = Path(__file__).resolve().parents[1] / "tests"


def _transcripts(quick: bool) -> list[tuple[str, str, str]]:
    found = []
    for folder in ("corpus", "challenge", "heldout"):
        for path in sorted((TESTS / folder).glob("*.txt")):
            language = "ru" if path.name.startswith("ru") else "en"
            found.append((path.stem, path.read_text(encoding="utf-8"), language))
    if DATASET.exists():
        found += [(e.encounter_id, e.transcript, "en") for e in encounters()]
    return found[:5] if quick else found


def _live_passes(segments: list[Segment], language: str) -> dict[str, float]:
    """A pass after each phrase, as during a call: what they cost together and the last."""
    started = time.perf_counter()
    for end in range(1, len(segments) + 1):
        last = time.perf_counter()
        extract_protocol(segments[:end], consultation_id="live", language=language)
    done = time.perf_counter()
    return {
        "phrases": len(segments),
        "all_passes_s": round(done - started, 3),
        "last_pass_ms": round((done - last) * 1000, 1),
    }


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    cases = _transcripts(args.quick)
    for case, text, language in cases:  # warm-up: vocabularies and caches load once
        extract_protocol(parse_transcript(text), consultation_id=case, language=language)
    took: list[float] = []
    parsing: list[float] = []
    words = [len(text.split()) for _, text, _ in cases]
    for _ in range(1 if args.quick else args.repeats):
        for case, text, language in cases:
            started = time.perf_counter()
            segments = parse_transcript(text)
            parsed = time.perf_counter()
            extract_protocol(segments, consultation_id=case, language=language)
            took.append(time.perf_counter() - started)
            parsing.append(parsed - started)
    longest = max((c for c in cases if c[2] == "en"), key=lambda c: len(parse_transcript(c[1])))
    challenge = sorted((TESTS / "challenge").glob("ru*.txt"))[: 3 if args.quick else None]
    russian = [s for path in challenge for s in parse_transcript(path.read_text("utf-8"))]
    live = {
        f"longest_english ({longest[0]})": _live_passes(parse_transcript(longest[1]), "en"),
        f"russian_challenge_as_one_call ({len(challenge)} consultations)": _live_passes(
            russian, "ru"
        ),
    }
    print(
        json.dumps(
            {
                "live_draft": live,
                "consultations": len(cases),
                "runs": len(took),
                "words_median": statistics.median(words),
                "words_max": max(words),
                "ms_median": round(statistics.median(took) * 1000, 2),
                "ms_p95": round(_percentile(took, 0.95) * 1000, 2),
                "ms_max": round(max(took) * 1000, 2),
                "goal_ms_p95": 50,
                "parse_only_ms_p95": round(_percentile(parsing, 0.95) * 1000, 3),
            }
        )
    )


if __name__ == "__main__":
    main()

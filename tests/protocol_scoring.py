"""Scores extracted protocols against expected fields: per-field precision and recall."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from protocol_writer.extract import extract_protocol
from protocol_writer.transcripts import parse_transcript, read_transcript
from tests.aci_bench import Encounter


@dataclass
class Tally:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0
    cases: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def right(self) -> float:
        """The share of cases whose field is exactly as expected."""
        return 1 - len(self.misses) / self.cases if self.cases else 1.0

    @property
    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positive + self.false_negative
        return self.true_positive / expected if expected else 1.0


def language_of(text: str) -> str:
    return "ru" if any("а" <= c <= "я" for c in text.lower()) else "en"


def _compare(tally: Tally, case: str, expected: set[Any], got: set[Any]) -> None:
    tally.true_positive += len(expected & got)
    tally.false_positive += len(got - expected)
    tally.false_negative += len(expected - got)
    tally.cases += 1
    if expected != got:
        tally.misses.append(
            f"{case}: expected {sorted(map(str, expected))} got {sorted(map(str, got))}"
        )


def _same(value: object) -> str:
    """One spelling for what reads the same: the challenge corpus writes "1 times a day"
    where the protocol (and the first corpus) says "once a day"."""
    return "once a day" if value == "1 times a day" else str(value)


def score(directory: Path, pattern: str = "*.txt") -> dict[str, Tally]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for transcript in sorted(directory.glob(pattern)):
        case = transcript.stem
        expected = json.loads(transcript.with_suffix(".json").read_text(encoding="utf-8"))
        protocol = extract_protocol(
            read_transcript(transcript),
            consultation_id=case,
            language=language_of(transcript.read_text()),
        )
        got = protocol.to_dict()
        diagnosis = got["diagnosis"] or (got["diagnosis_suggestions"] or [None])[0]
        code = diagnosis["code"] if diagnosis else None
        ok = code in expected["diagnosis"]["icd10_any"]
        _compare(tallies["diagnosis"], case, {"ok"}, {"ok"} if ok else {code})
        _compare(
            tallies["vitals"],
            case,
            {(k, float(v)) for k, v in expected["vitals"].items()},
            {(k, float(v["value"])) for k, v in got["vitals"].items()},
        )
        _compare(
            tallies["complaints"],
            case,
            set(expected["complaints"]),
            {c["name"] for c in got["complaints"]},
        )
        _compare(tallies["triage"], case, {expected["triage"]}, {got["triage"]["level"]})
        _compare(
            tallies["follow_up"],
            case,
            {(expected["follow_up"]["kind"], expected["follow_up"]["in_days"])},
            {(got["follow_up"]["kind"], got["follow_up"]["in_days"])},
        )
        _compare(
            tallies["medications"],
            case,
            {(m["name"], m["renewal"]) for m in expected["medications"]},
            {(m["name"], m["renewal"]) for m in got["medications"]},
        )
        details = {
            (m["name"], key, _same(m[key]))
            for m in expected["medications"]
            for key in ("dose", "frequency", "duration_days")
            if key in m
        }
        by_name = {m["name"]: m for m in got["medications"]}
        _compare(
            tallies["medication_details"],
            case,
            details,
            {(n, k, _same(by_name[n][k])) for n, k, _ in details if n in by_name},
        )
        if "sick_leave" in expected:
            want = expected["sick_leave"]
            have = got["sick_leave"] or {}
            _compare(
                tallies["sick_leave"],
                case,
                {tuple(sorted(want.items()))},
                {tuple(sorted((k, have.get(k)) for k in want))},
            )
    return dict(tallies)


def score_aci(encounters: Iterable[Encounter]) -> dict[str, Tally]:
    """Vital signs and medicines against ACI-Bench notes (see tests/aci_bench.py)."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for encounter in encounters:
        protocol = extract_protocol(
            parse_transcript(encounter.transcript),
            consultation_id=encounter.encounter_id,
            language="en",
        )
        if encounter.vitals is not None:
            _compare(
                tallies["vitals"],
                encounter.encounter_id,
                {(k, round(v, 1)) for k, v in encounter.vitals.items()},
                {(k, round(v.value, 1)) for k, v in protocol.vitals.items()},
            )
        _compare(
            tallies["medications"],
            encounter.encounter_id,
            set(encounter.medicines),
            {m.name for m in protocol.medications},
        )
    return dict(tallies)


def table(tallies: dict[str, Tally]) -> str:
    lines = [f"{'field':<20}{'precision':>10}{'recall':>8}{'right':>8}"]
    lines += [
        f"{name:<20}{t.precision:>10.2f}{t.recall:>8.2f}{t.right:>8.2f}"
        for name, t in tallies.items()
    ]
    cases = sum(t.cases for t in tallies.values())
    wrong = sum(len(t.misses) for t in tallies.values())
    lines.append(f"{'fields right':<20}{1 - wrong / cases if cases else 1.0:>26.2f}")
    return "\n".join(lines)


CORPORA = {
    "corpus": Path(__file__).parent / "corpus",
    "challenge": Path(__file__).parent / "challenge",
    "heldout": Path(__file__).parent / "heldout",
}


def main(argv: list[str]) -> None:
    """Prints each corpus's per-field scores (or only the folders given), then the misses."""
    from tests.aci_bench import encounters

    results: dict[str, dict[str, Tally]] = {}
    for name in argv or [*CORPORA, "aci-bench"]:
        if name == "aci-bench":
            results[name] = score_aci(encounters())
            continue
        directory = CORPORA.get(name, Path(name))
        for language in ("ru", "en"):  # each set scored apart
            results[f"{name} ({language})"] = score(directory, f"{language}*.txt")
    for name, result in results.items():
        print(f"== {name}")
        print(table(result))
    for name, result in results.items():
        for field_, tally in result.items():
            for miss in tally.misses:
                print(f"  {name} {field_}: {miss}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])

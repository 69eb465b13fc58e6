"""Many cases in one process: JSON lines (or plain lines) in, one JSON line out per case.

A line that cannot be read gets an error line of its own and the rest go on, so one bad
record in a day's export does not lose the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from decision_support.model import Suggester


class BadLine(ValueError):
    """A line that is not a case; its message says why."""


def _case(line: str, number: int, fmt: str) -> tuple[Any, str]:
    """The case's id and text; raises BadLine for a line that is not a case."""
    if fmt == "text":
        return number, line
    try:
        case = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadLine(f"not JSON: {error.msg}") from None
    if not isinstance(case, dict) or not isinstance(case.get("text"), str):
        raise BadLine('expected an object with a "text" string')
    return case.get("idx", number), case["text"]


def answer(
    suggester: Suggester, lines: Iterable[str], fmt: str = "jsonl", language: str = "ru"
) -> Iterator[str]:
    """One JSON line per non-empty input line, in order. Below the calibrated confidence
    the suggestions are empty and "abstained" is true: no confident suggestion."""
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        try:
            idx, text = _case(line, number, fmt)
        except BadLine as error:
            yield json.dumps({"line": number, "error": str(error)}, ensure_ascii=False)
            continue
        result = suggester.suggest(text, language)
        yield json.dumps(
            {
                "idx": idx,
                "suggestions": []
                if result.abstained
                else [s.to_dict() for s in result.suggestions],
                "confidence": round(result.confidence, 4),
                "abstained": result.abstained,
            },
            ensure_ascii=False,
        )

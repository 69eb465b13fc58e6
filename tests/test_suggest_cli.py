"""`telemed suggest` as a user runs it: a real process over JSON lines or plain lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from decision_support.model import Suggester
from decision_support.text import words

TELEMED = [sys.executable, "-m", "web.cli", "suggest"]


def suggest(args: list[str], data_dir: Path, stdin: str | None = None) -> list[dict[str, Any]]:
    done = subprocess.run(
        [*TELEMED, *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "TELEMED_DATA_DIR": str(data_dir)},
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


COMPLAINTS = {
    "back": "боли в поясничном отделе позвоночника с иррадиацией в правую ногу",
    "throat": "на першение в горле, насморк, температура 37.5",
    "pressure": "головные боли, повышение давления до 160/100, одышка при нагрузке",
}


def test_json_lines_get_one_answer_each_and_a_bad_line_does_not_stop_the_rest(
    tmp_path: Path,
) -> None:
    cases = tmp_path / "cases.jsonl"
    lines = [json.dumps({"idx": k, "text": v}, ensure_ascii=False) for k, v in COMPLAINTS.items()]
    lines.insert(1, "{not json")
    lines.insert(3, json.dumps({"idx": "no text"}))
    cases.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = suggest([str(cases)], tmp_path)
    assert len(out) == 5
    assert out[1]["line"] == 2 and "not JSON" in out[1]["error"]
    assert out[3]["line"] == 4 and "text" in out[3]["error"]
    answers = [o for o in out if "idx" in o]
    assert [a["idx"] for a in answers] == list(COMPLAINTS)
    suggester = Suggester()
    for answer in answers:
        # The same answer the library gives: the command adds nothing of its own.
        expected = suggester.suggest(COMPLAINTS[answer["idx"]])
        assert answer["abstained"] == expected.abstained
        assert answer["suggestions"] == (
            [] if expected.abstained else [s.to_dict() for s in expected.suggestions]
        )
        for s in answer["suggestions"]:
            assert s["title"] == suggester.title(s["code"]) and s["title"] != s["code"]
            assert set(s["evidence"]) <= set(words(COMPLAINTS[answer["idx"]]))
        scores = [s["score"] for s in answer["suggestions"]]
        assert len(scores) <= 3 and scores == sorted(scores, reverse=True)
    back = answers[0]["suggestions"]
    assert back and back[0]["code"] == "M54" and "поясничном" in back[0]["evidence"]


def test_plain_lines_from_stdin_in_english(tmp_path: Path) -> None:
    out = suggest(
        ["-", "--format", "text", "--lang", "en"],
        tmp_path,
        stdin="\n".join(COMPLAINTS.values()) + "\n\n",
    )
    assert [o["idx"] for o in out] == [1, 2, 3]
    suggester = Suggester()
    first = out[0]["suggestions"][0]
    assert first["title"] == suggester.title(first["code"], "en")

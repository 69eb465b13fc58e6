"""Reading transcripts from files: `doctor: ...` lines, or `telemed transcribe --json` output."""

from __future__ import annotations

import json
from pathlib import Path

from clinic.domain import Segment, Speaker


class TranscriptError(ValueError):
    pass


def parse_transcript(text: str, consultation_id: str = "file") -> list[Segment]:
    segments = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            item = json.loads(line)
            speaker, body = item.get("speaker", "doctor"), item["text"]
            start, end = float(item.get("start", number)), float(item.get("end", number))
        else:
            speaker, sep, body = line.partition(":")
            if not sep:
                raise TranscriptError(f"line {number}: expected 'doctor: ...' or 'patient: ...'")
            start, end = float(number), float(number) + 0.9
        try:
            who = Speaker(speaker.strip().lower())
        except ValueError as exc:
            raise TranscriptError(f"line {number}: unknown speaker {speaker!r}") from exc
        segments.append(Segment(consultation_id, who, start, end, body.strip(), 1.0))
    return segments


def read_transcript(path: Path) -> list[Segment]:
    return parse_transcript(path.read_text(encoding="utf-8"), path.stem)

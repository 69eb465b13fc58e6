"""The first cut of a protocol: who said what, and the complaints the patient named."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from clinic.domain import Segment, Speaker

VOCABULARY = Path(__file__).parent / "vocabulary"


@dataclass(frozen=True)
class Finding:
    """An extracted item and the segments it came from, so the doctor can see why."""

    value: str
    segments: tuple[int, ...]


@dataclass(frozen=True)
class TranscriptLine:
    index: int
    speaker: str
    start: float
    end: float
    text: str
    kind: str


@dataclass(frozen=True)
class Protocol:
    consultation_id: str
    reason: str
    language: str
    patient_name: str
    doctor_name: str
    started_at: str | None
    ended_at: str | None
    complaints: tuple[Finding, ...] = ()
    doctor_dictation: tuple[Finding, ...] = ()
    transcript: tuple[TranscriptLine, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@cache
def complaint_vocabulary() -> dict[str, tuple[str, ...]]:
    data = json.loads((VOCABULARY / "complaints.json").read_text(encoding="utf-8"))
    return {name: tuple(stems) for name, stems in data.items()}


def find_complaints(segments: list[Segment]) -> tuple[Finding, ...]:
    """Complaints are what the patient says; "pain" only counts when nothing more precise did."""
    found: dict[str, list[int]] = {}
    for index, segment in enumerate(segments):
        if segment.speaker is not Speaker.PATIENT or segment.kind != "speech":
            continue
        text = segment.text.lower()
        for name, stems in complaint_vocabulary().items():
            if any(stem in text for stem in stems) and not _negated(text, stems):
                found.setdefault(name, []).append(index)
    if "pain" in found and any(k in found for k in ("sore throat", "headache")):
        del found["pain"]
    return tuple(Finding(name, tuple(idx)) for name, idx in found.items())


def _negated(text: str, stems: tuple[str, ...]) -> bool:
    # "горло не болит", "кашля нет", "no cough": the patient denies it.
    for stem in stems:
        position = text.find(stem)
        if position < 0:
            continue
        before, after = text[max(0, position - 8):position], text[position:position + len(stem) + 6]
        if "не " in before or "нет" in after or "no " in before or "not " in before:
            return True
    return False


def draft_protocol(
    *,
    consultation_id: str,
    reason: str,
    language: str,
    patient_name: str,
    doctor_name: str,
    started_at: str | None,
    ended_at: str | None,
    segments: list[Segment],
) -> Protocol:
    transcript = tuple(
        TranscriptLine(i, s.speaker.value, s.start, s.end, s.text, s.kind)
        for i, s in enumerate(segments)
    )
    dictation = tuple(
        Finding(s.text, (i,)) for i, s in enumerate(segments)
        if s.speaker is Speaker.DOCTOR and s.kind == "speech"
    )
    return Protocol(
        consultation_id=consultation_id, reason=reason, language=language,
        patient_name=patient_name, doctor_name=doctor_name, started_at=started_at,
        ended_at=ended_at, complaints=find_complaints(segments), doctor_dictation=dictation,
        transcript=transcript,
    )

"""The structured consultation protocol. Every field points at the segments it came from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Sources = tuple[int, ...]


@dataclass(frozen=True)
class Complaint:
    name: str
    segments: Sources
    duration_days: int | None = None


@dataclass(frozen=True)
class AnamnesisItem:
    kind: str  # contact, vaccination, chronic, allergy, covid_test, chemotherapy
    text: str
    negated: bool
    segments: Sources


@dataclass(frozen=True)
class Vital:
    value: float
    unit: str
    segments: Sources


@dataclass(frozen=True)
class Diagnosis:
    code: str
    text: str
    segments: Sources
    stated: bool  # named by the doctor, rather than suggested by the rules or the suggester
    score: float | None = None  # the suggester's probability; None for rules and stated ones
    evidence: tuple[str, ...] = ()  # the patient's words that drove a learned suggestion


@dataclass(frozen=True)
class Medication:
    name: str
    segments: Sources
    dose: str | None = None
    frequency: str | None = None
    duration_days: int | None = None
    renewal: bool = False
    oncology: bool = False


@dataclass(frozen=True)
class Recommendation:
    text: str
    segments: Sources


@dataclass(frozen=True)
class SickLeave:
    action: str  # open, extend, close
    days: int | None
    segments: Sources


@dataclass(frozen=True)
class Triage:
    level: str  # green, yellow, red
    reasons: tuple[str, ...]
    segments: Sources


@dataclass(frozen=True)
class FollowUp:
    kind: str  # telemedicine, in_person, ambulance, none
    in_days: int | None
    segments: Sources


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
    language: str
    reason: str = ""
    patient_name: str = ""
    doctor_name: str = ""
    started_at: str | None = None
    ended_at: str | None = None
    complaints: tuple[Complaint, ...] = ()
    anamnesis: tuple[AnamnesisItem, ...] = ()
    vitals: dict[str, Vital] = field(default_factory=dict)
    diagnosis: Diagnosis | None = None
    diagnosis_suggestions: tuple[Diagnosis, ...] = ()
    medications: tuple[Medication, ...] = ()
    recommendations: tuple[Recommendation, ...] = ()
    sick_leave: SickLeave | None = None
    triage: Triage = Triage("green", (), ())
    follow_up: FollowUp = FollowUp("none", None, ())
    transcript: tuple[TranscriptLine, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Protocol:
        """The inverse of to_dict, for stored and doctor-edited protocols."""

        def many(kind: type, key: str) -> tuple[Any, ...]:
            return tuple(kind(**_sources(item)) for item in data.get(key) or ())

        diagnosis = data.get("diagnosis")
        sick_leave = data.get("sick_leave")
        return cls(
            consultation_id=data["consultation_id"],
            language=data.get("language", "ru"),
            reason=data.get("reason", ""),
            patient_name=data.get("patient_name", ""),
            doctor_name=data.get("doctor_name", ""),
            started_at=data.get("started_at"),
            ended_at=data.get("ended_at"),
            complaints=many(Complaint, "complaints"),
            anamnesis=many(AnamnesisItem, "anamnesis"),
            vitals={k: Vital(**_sources(v)) for k, v in (data.get("vitals") or {}).items()},
            diagnosis=Diagnosis(**_sources(diagnosis)) if diagnosis else None,
            diagnosis_suggestions=many(Diagnosis, "diagnosis_suggestions"),
            medications=many(Medication, "medications"),
            recommendations=many(Recommendation, "recommendations"),
            sick_leave=SickLeave(**_sources(sick_leave)) if sick_leave else None,
            triage=Triage(
                **{**_sources(data["triage"]), "reasons": tuple(data["triage"].get("reasons", ()))}
            )
            if data.get("triage")
            else Triage("green", (), ()),
            follow_up=FollowUp(**_sources(data["follow_up"]))
            if data.get("follow_up")
            else FollowUp("none", None, ()),
            transcript=many(TranscriptLine, "transcript"),
        )


def _sources(item: dict[str, Any]) -> dict[str, Any]:
    item = {**item, "evidence": tuple(item["evidence"])} if "evidence" in item else item
    return {**item, "segments": tuple(item.get("segments", ()))} if "segments" in item else item

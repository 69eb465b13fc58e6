"""From transcript segments to a structured Protocol."""

from __future__ import annotations

from typing import NamedTuple, TypedDict, Unpack

from clinic.domain import Segment
from protocol_writer.cues import utterances
from protocol_writer.diagnosis import (
    from_medicines,
    stated_diagnoses,
    suggest,
    with_treated_condition,
)
from protocol_writer.findings import extract_anamnesis, extract_complaints
from protocol_writer.medications import extract_medications, is_oncology, mentioned_medicines
from protocol_writer.plan import extract_follow_up, extract_recommendations, extract_sick_leave
from protocol_writer.protocol import Diagnosis, FollowUp, Protocol, TranscriptLine
from protocol_writer.triage import assess, needs_seeing_today
from protocol_writer.vitals import extract_vitals


class Extracted(NamedTuple):
    protocol: Protocol
    # The codes the rules and the suggester rank over what was said, whether or not the
    # doctor named one: the console's live suggestions, the same ranking the draft offers.
    candidates: tuple[Diagnosis, ...]


class Context(TypedDict, total=False):
    """What a protocol is written for, beside its transcript."""

    reason: str
    patient_name: str
    doctor_name: str
    started_at: str | None
    ended_at: str | None


def extract_protocol(
    segments: list[Segment], *, consultation_id: str, language: str, **context: Unpack[Context]
) -> Protocol:
    return extract(segments, consultation_id=consultation_id, language=language, **context).protocol


def extract(
    segments: list[Segment],
    *,
    consultation_id: str,
    language: str,
    reason: str = "",
    patient_name: str = "",
    doctor_name: str = "",
    started_at: str | None = None,
    ended_at: str | None = None,
) -> Extracted:
    items = utterances(segments)
    vitals = extract_vitals(items)
    complaints = extract_complaints(items, vitals)
    anamnesis = extract_anamnesis(items)
    medications = extract_medications(items)
    stated = with_treated_condition(
        stated_diagnoses(items, anamnesis, language), medications, bool(vitals), language
    )
    candidates = suggest(complaints, vitals, anamnesis, reason, items, language)
    # The medicines named, even stopped ones, tell what the patient is treated for ("stop
    # the capecitabine for now"): an anticancer one leads (its toxicity is coded beside the
    # cancer), another one is the guess when there is nothing else.
    named = mentioned_medicines(items)
    treated = from_medicines(tuple(m for m in named if is_oncology(m.name)), language)
    if treated is None and not candidates:
        treated = from_medicines(named, language)
    if treated is not None:
        candidates = (treated, *(d for d in candidates if d.code != treated.code))[:3]
    follow_up = extract_follow_up(items)
    triage = assess(complaints, vitals, follow_up, items, mentioned_medicines(items))
    if (
        needs_seeing_today(triage)
        and follow_up.kind != "ambulance"
        and not (follow_up.kind == "in_person" and follow_up.in_days == 0)
    ):
        follow_up = FollowUp("in_person", 0, triage.segments)
    protocol = Protocol(
        consultation_id=consultation_id,
        language=language,
        reason=reason,
        patient_name=patient_name,
        doctor_name=doctor_name,
        started_at=started_at,
        ended_at=ended_at,
        complaints=complaints,
        anamnesis=anamnesis,
        vitals=vitals,
        diagnosis=stated[0] if stated else None,
        diagnosis_suggestions=tuple(stated[1:4]) if stated else candidates,
        medications=medications,
        recommendations=extract_recommendations(items),
        sick_leave=extract_sick_leave(items),
        triage=triage,
        follow_up=follow_up,
        transcript=tuple(
            TranscriptLine(i, s.speaker.value, s.start, s.end, s.text, s.kind)
            for i, s in enumerate(segments)
        ),
    )
    return Extracted(protocol, candidates)

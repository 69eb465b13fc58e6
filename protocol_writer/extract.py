"""From transcript segments to a structured Protocol."""

from __future__ import annotations

from clinic.domain import Segment
from protocol_writer.cues import utterances
from protocol_writer.diagnosis import from_medicines, stated_diagnoses, suggest
from protocol_writer.findings import extract_anamnesis, extract_complaints
from protocol_writer.medications import extract_medications
from protocol_writer.plan import extract_follow_up, extract_recommendations, extract_sick_leave
from protocol_writer.protocol import FollowUp, Protocol, TranscriptLine
from protocol_writer.triage import assess, needs_seeing_today
from protocol_writer.vitals import extract_vitals


def extract_protocol(
    segments: list[Segment],
    *,
    consultation_id: str,
    language: str,
    reason: str = "",
    patient_name: str = "",
    doctor_name: str = "",
    started_at: str | None = None,
    ended_at: str | None = None,
) -> Protocol:
    items = utterances(segments)
    vitals = extract_vitals(items)
    complaints = extract_complaints(items, vitals)
    anamnesis = extract_anamnesis(items)
    medications = extract_medications(items)
    stated = stated_diagnoses(items, anamnesis, language)
    if all(d.code.startswith("Z") for d in stated):
        # A renewal names the medicine, not the disease: the medicine's indication is the
        # diagnosis when the doctor stated none, and the first alternative to a stated Z76.0
        # (the repeat prescription itself, as the shared samples code a renewal).
        treated = from_medicines(medications, language)
        if treated is not None:
            stated = [*stated[:1], treated, *stated[1:]]
    follow_up = extract_follow_up(items)
    triage = assess(complaints, vitals, follow_up, items, medications)
    if (
        needs_seeing_today(triage)
        and follow_up.kind != "ambulance"
        and not (follow_up.kind == "in_person" and follow_up.in_days == 0)
    ):
        follow_up = FollowUp("in_person", 0, triage.segments)
    return Protocol(
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
        diagnosis_suggestions=tuple(stated[1:4])
        if stated
        else suggest(complaints, vitals, anamnesis, reason, items, language),
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

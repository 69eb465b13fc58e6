"""A small city for the action tests: a polyclinic with a schedule, an oncology centre,
staff, and consultations whose transcripts come from the corpus."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from clinic.domain import CallMode, ConsultationStatus, Reason, Segment, Speaker
from clinic.records import Records
from clinic.time import now
from protocol_writer.service import ProtocolService

CORPUS = Path(__file__).parent / "corpus"


async def consultation_from_corpus(
    records: Records,
    name: str,
    patient_id: str,
    doctor_id: str,
    reason: Reason = Reason.RESPIRATORY,
) -> str:
    """An ended consultation whose transcript is the corpus file's, with its draft stored."""
    consultation = await records.enqueue(patient_id, reason, CallMode.AUDIO, name[:2])
    await records.take(doctor_id, consultation.id)
    for index, line in enumerate((CORPUS / f"{name}.txt").read_text().splitlines()):
        speaker, text = line.split(":", 1)
        await records.add_segment(
            Segment(
                consultation.id,
                Speaker(speaker.strip()),
                index * 5.0,
                index * 5.0 + 4,
                text.strip(),
                0.9,
            )
        )
    await records.finish(consultation.id, ConsultationStatus.ENDED)
    await ProtocolService(records).draft(consultation.id)
    return consultation.id


def tomorrow_at(hour: int, days: int = 1) -> datetime:
    day = (now() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return day

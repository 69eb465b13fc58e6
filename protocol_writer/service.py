"""Drafts and stores the protocol of an ended consultation."""

from __future__ import annotations

from clinic.records import Records
from clinic.tables import ProtocolRow
from protocol_writer.extract import extract_protocol
from protocol_writer.render import render_html


class ProtocolService:
    def __init__(self, records: Records) -> None:
        self._records = records

    async def draft(self, consultation_id: str) -> ProtocolRow:
        consultation = await self._records.consultation(consultation_id)
        if consultation is None:
            raise LookupError(consultation_id)
        patient = await self._records.patient(consultation.patient_id)
        doctor_name = ""
        if consultation.doctor_id:
            doctor = await self._records.doctor(consultation.doctor_id)
            doctor_name = doctor.full_name if doctor else ""
        protocol = extract_protocol(
            await self._records.segments(consultation_id),
            consultation_id=consultation.id,
            reason=consultation.reason,
            language=consultation.language,
            patient_name=patient.full_name if patient else "",
            doctor_name=doctor_name,
            started_at=consultation.started_at.isoformat() if consultation.started_at else None,
            ended_at=consultation.ended_at.isoformat() if consultation.ended_at else None,
        )
        return await self._records.save_protocol(
            consultation_id, protocol.to_dict(), render_html(protocol)
        )

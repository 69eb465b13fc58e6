"""Drafts the protocol of an ended consultation; reads and checks a doctor's edited version.

Signing it is a workflow of its own that also renews prescriptions (`actions/signing.py`):
it calls these, never the reverse.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from pydantic import TypeAdapter, ValidationError

from clinic.domain import Segment
from clinic.messages.base import describe
from clinic.records import Records
from clinic.tables import Consultation, Doctor, Patient, ProtocolRow
from protocol_writer.extract import extract_protocol
from protocol_writer.fhir import SignedContext, build_bundle, validate_bundle
from protocol_writer.protocol import Protocol, TranscriptLine
from protocol_writer.render import render_html

log = logging.getLogger(__name__)


class InvalidProtocol(ValueError):
    """The edited protocol is not a valid protocol; the message says what is wrong."""


class ProtocolService:
    def __init__(self, records: Records, zone: str | None = None) -> None:
        self._records = records
        self._zone = zone  # the clinic's time zone, for the times in the rendered protocol

    async def draft(self, consultation_id: str) -> ProtocolRow:
        consultation = await self._records.consultation(consultation_id)
        if consultation is None:
            raise LookupError(consultation_id)
        patient = await self._records.patient(consultation.patient_id)
        doctor = await self._records.doctor(consultation.doctor_id or "")
        protocol = extract_protocol(
            await self._records.segments(consultation_id),
            consultation_id=consultation.id,
            reason=consultation.reason,
            language=consultation.language,
            patient_name=patient.full_name if patient else "",
            doctor_name=doctor.full_name if doctor else "",
            started_at=consultation.started_at.isoformat() if consultation.started_at else None,
            ended_at=consultation.ended_at.isoformat() if consultation.ended_at else None,
        )
        return await self._records.save_protocol(
            consultation_id, protocol.to_dict(), render_html(protocol, zone=self._zone)
        )

    async def preview(self, consultation_id: str, doctor_id: str, data: dict[str, Any]) -> str:
        """The doctor's edited version rendered as it would be signed; nothing is stored.

        Raises InvalidProtocol or LookupError, as signing would.
        """
        protocol = (await self.edited(consultation_id, doctor_id, data))[3]
        return render_html(protocol, zone=self._zone)

    async def edited(
        self, consultation_id: str, doctor_id: str, data: dict[str, Any]
    ) -> tuple[Consultation, Patient | None, Doctor | None, Protocol]:
        """The doctor's version of their consultation's protocol, read and checked.

        Raises LookupError (not their consultation) or InvalidProtocol.
        """
        consultation = await self._records.consultation(consultation_id)
        if consultation is None or consultation.doctor_id != doctor_id:
            raise LookupError(consultation_id)
        patient = await self._records.patient(consultation.patient_id)
        doctor = await self._records.doctor(doctor_id)
        # The doctor edits what was found, never who, whom, when or what was said: those
        # are the record's, whatever the client sent.
        protocol = parse_protocol(
            {
                **data,
                **from_record(
                    consultation, patient, doctor, await self._records.segments(consultation_id)
                ),
            },
            consultation_id,
        )
        return consultation, patient, doctor, protocol


def from_record(
    consultation: Consultation,
    patient: Patient | None,
    doctor: Doctor | None,
    segments: Sequence[Segment],
) -> dict[str, Any]:
    """The fields of a protocol that only the record may fill."""
    return {
        "consultation_id": consultation.id,
        "language": consultation.language,
        "reason": consultation.reason,
        "patient_name": patient.full_name if patient else "",
        "doctor_name": doctor.full_name if doctor else "",
        "started_at": consultation.started_at.isoformat() if consultation.started_at else None,
        "ended_at": consultation.ended_at.isoformat() if consultation.ended_at else None,
        "transcript": [
            asdict(TranscriptLine(i, s.speaker.value, s.start, s.end, s.text, s.kind))
            for i, s in enumerate(segments)
        ],
    }


# The Protocol type is its own schema: a field added to it is checked here with no second
# list to keep in step. JSON mode with strict types: 5 is not a text, "21" not a number.
_PROTOCOL = TypeAdapter(Protocol)


def parse_protocol(data: dict[str, Any], consultation_id: str) -> Protocol:
    """The doctor's edited protocol, or InvalidProtocol saying which field is wrong."""
    try:
        return _PROTOCOL.validate_json(
            json.dumps({**data, "consultation_id": consultation_id}, allow_nan=False), strict=True
        )
    except (ValidationError, ValueError) as exc:
        reason = describe(exc) if isinstance(exc, ValidationError) else "numbers must be finite"
        raise InvalidProtocol(f"not a protocol: {reason}") from None


def record_bundle(protocol: Protocol, ctx: SignedContext) -> dict[str, Any]:
    """The signed protocol's FHIR Bundle, validated, or InvalidProtocol."""
    bundle = build_bundle(protocol, ctx)
    try:
        validate_bundle(bundle)
    except ValueError as exc:
        # fhir.resources' own words name its classes, not the protocol's fields: the
        # detail goes to the log, the doctor learns which part of the record failed.
        log.warning(
            "fhir_invalid consultation=%s errors=%s",
            protocol.consultation_id,
            exc.error_count() if isinstance(exc, ValidationError) else 1,
        )
        raise InvalidProtocol(
            "the protocol does not make a valid FHIR record; "
            "check the diagnosis code, vital signs and medicines"
        ) from None
    return bundle

"""Drafts the protocol of an ended consultation; signs a doctor's reviewed version."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from actions.renewal import (
    RenewalDecision,
    RenewalRefused,
    decide_renewals,
    renewal_notice,
)
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
    def __init__(self, records: Records, targets: tuple[str, ...] = ("builtin",)) -> None:
        self._records = records
        self._targets = targets

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
            consultation_id, protocol.to_dict(), render_html(protocol)
        )

    async def preview(self, consultation_id: str, doctor_id: str, data: dict[str, Any]) -> str:
        """The doctor's edited version rendered as it would be signed; nothing is stored.

        Raises InvalidProtocol or LookupError, as signing would.
        """
        return render_html((await self._edited(consultation_id, doctor_id, data))[3])

    async def _edited(
        self, consultation_id: str, doctor_id: str, data: dict[str, Any]
    ) -> tuple[Consultation, Patient | None, Doctor | None, Protocol]:
        """The doctor's version of their consultation's protocol, read and checked."""
        consultation = await self._records.consultation(consultation_id)
        if consultation is None or consultation.doctor_id != doctor_id:
            raise LookupError(consultation_id)
        patient = await self._records.patient(consultation.patient_id)
        doctor = await self._records.doctor(doctor_id)
        # The doctor edits what was found, never who, whom, when or what was said: those
        # are the record's, whatever the client sent.
        protocol = _parse(
            {
                **data,
                **_from_record(
                    consultation, patient, doctor, await self._records.segments(consultation_id)
                ),
            },
            consultation_id,
        )
        return consultation, patient, doctor, protocol

    async def renewals(
        self, consultation_id: str, doctor_id: str, data: dict[str, Any]
    ) -> list[RenewalDecision]:
        """What signing this version would do to prescriptions, for the console to show."""
        consultation = await self._records.consultation(consultation_id)
        if consultation is None or consultation.doctor_id != doctor_id:
            raise LookupError(consultation_id)
        protocol = _parse(data, consultation_id)
        return await decide_renewals(
            self._records,
            protocol,
            consultation=consultation,
            doctor=await self._records.doctor(doctor_id),
            at=datetime.now(UTC),
        )

    async def sign(
        self, consultation_id: str, doctor_id: str, based_on_version: int, data: dict[str, Any]
    ) -> ProtocolRow:
        """Signs the doctor's version and writes the renewals it makes.

        Raises InvalidProtocol, LookupError, Conflict, or RenewalRefused (nothing signed: a
        protocol never claims a renewal that did not happen).
        """
        consultation, patient, doctor, protocol = await self._edited(
            consultation_id, doctor_id, data
        )
        protocol_id, signed_at = str(uuid.uuid4()), datetime.now(UTC)
        renewals = await decide_renewals(
            self._records, protocol, consultation=consultation, doctor=doctor, at=signed_at
        )
        if refused := [d for d in renewals if not d.allowed]:
            raise RenewalRefused(refused)
        bundle = build_bundle(
            protocol,
            SignedContext(
                protocol_id=protocol_id,
                patient_id=consultation.patient_id,
                patient_name=patient.full_name if patient else "",
                doctor_id=doctor_id,
                doctor_name=doctor.full_name if doctor else "",
                signed_at=signed_at,
                started_at=consultation.started_at,
                ended_at=consultation.ended_at,
                renewals={
                    d.medicine: (d.prescription_id or "", d.prior_id or "") for d in renewals
                },
            ),
        )
        try:
            validate_bundle(bundle)
        except ValueError as exc:
            # fhir.resources' own words name its classes, not the protocol's fields: the
            # detail goes to the log, the doctor learns which part of the record failed.
            log.warning(
                "fhir_invalid consultation=%s errors=%s",
                consultation_id,
                exc.error_count() if isinstance(exc, ValidationError) else 1,
            )
            raise InvalidProtocol(
                "the protocol does not make a valid FHIR record; "
                "check the diagnosis code, vital signs and medicines"
            ) from None
        new = [d.prescription for d in renewals if d.prescription is not None]
        return await self._records.sign_protocol(
            protocol_id=protocol_id,
            consultation_id=consultation_id,
            based_on_version=based_on_version,
            doctor_id=doctor_id,
            signed_at=signed_at,
            data=protocol.to_dict(),
            html=render_html(protocol, "signed"),
            pushes={target: bundle for target in self._targets},
            prescriptions=new,
            notices=[renewal_notice(patient, p) for p in new] if patient else [],
        )


def _from_record(
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


def _parse(data: dict[str, Any], consultation_id: str) -> Protocol:
    try:
        return _PROTOCOL.validate_json(
            json.dumps({**data, "consultation_id": consultation_id}, allow_nan=False), strict=True
        )
    except (ValidationError, ValueError) as exc:
        reason = describe(exc) if isinstance(exc, ValidationError) else "numbers must be finite"
        raise InvalidProtocol(f"not a protocol: {reason}") from None

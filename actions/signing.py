"""Signing a doctor's reviewed protocol: the version, its FHIR pushes and the renewals it
makes, in one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from actions.renewal import RenewalDecision, RenewalRefused, decide_renewals, renewal_notice
from clinic.records import Records
from clinic.tables import ProtocolRow
from protocol_writer.fhir import SignedContext
from protocol_writer.render import render_html
from protocol_writer.service import ProtocolService, parse_protocol, record_bundle


class ProtocolSigning:
    def __init__(
        self, records: Records, targets: tuple[str, ...] = ("builtin",), zone: str | None = None
    ) -> None:
        self._records = records
        self._targets = targets
        self._zone = zone
        self._protocols = ProtocolService(records, zone)

    async def renewals(
        self, consultation_id: str, doctor_id: str, data: dict[str, Any]
    ) -> list[RenewalDecision]:
        """What signing this version would do to prescriptions, for the console to show."""
        consultation = await self._records.consultation(consultation_id)
        if consultation is None or consultation.doctor_id != doctor_id:
            raise LookupError(consultation_id)
        protocol = parse_protocol(data, consultation_id)
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
        consultation, patient, doctor, protocol = await self._protocols.edited(
            consultation_id, doctor_id, data
        )
        protocol_id, signed_at = str(uuid.uuid4()), datetime.now(UTC)
        renewals = await decide_renewals(
            self._records, protocol, consultation=consultation, doctor=doctor, at=signed_at
        )
        if refused := [d for d in renewals if not d.allowed]:
            raise RenewalRefused(refused)
        bundle = record_bundle(
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
        new = [d.prescription for d in renewals if d.prescription is not None]
        return await self._records.sign_protocol(
            protocol_id=protocol_id,
            consultation_id=consultation_id,
            based_on_version=based_on_version,
            doctor_id=doctor_id,
            signed_at=signed_at,
            data=protocol.to_dict(),
            html=render_html(protocol, "signed", self._zone),
            pushes={target: bundle for target in self._targets},
            prescriptions=new,
            notices=[renewal_notice(patient, p) for p in new] if patient else [],
        )

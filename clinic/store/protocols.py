"""Protocol versions: drafts, signatures and the record pushes a signature queues."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from clinic.store.base import Conflict, Store
from clinic.store.prescriptions import NewPrescription
from clinic.store.record_push import RecordPush, queue_pushes
from clinic.store.sms import SmsNotice, queue_notice
from clinic.tables import Consultation, ProtocolRow
from clinic.time import now


class ProtocolStore(Store):
    async def save_protocol(
        self, consultation_id: str, data: dict[str, object], html: str, status: str = "draft"
    ) -> ProtocolRow:
        async with self._session() as s, s.begin():
            latest = await s.scalar(
                select(func.max(ProtocolRow.version)).where(
                    ProtocolRow.consultation_id == consultation_id
                )
            )
            row = ProtocolRow(
                id=str(uuid.uuid4()),
                consultation_id=consultation_id,
                version=int(latest or 0) + 1,
                status=status,
                data=data,
                html=html,
                created_at=now(),
            )
            s.add(row)
        return row

    async def latest_protocol(
        self, consultation_id: str, *, signed_only: bool = False
    ) -> ProtocolRow | None:
        async with self._session() as s:
            query = select(ProtocolRow).where(ProtocolRow.consultation_id == consultation_id)
            if signed_only:
                query = query.where(ProtocolRow.status == "signed")
            return await s.scalar(query.order_by(ProtocolRow.version.desc()).limit(1))

    async def signed_protocols_of_patient(self, patient_id: str) -> list[ProtocolRow]:
        """The latest signed version of each of the patient's consultations, newest first."""
        async with self._session() as s:
            rows = list(
                await s.scalars(
                    select(ProtocolRow)
                    .join(Consultation, Consultation.id == ProtocolRow.consultation_id)
                    .where(Consultation.patient_id == patient_id)
                    .where(ProtocolRow.status == "signed")
                    .order_by(ProtocolRow.signed_at.desc())
                )
            )
        latest: dict[str, ProtocolRow] = {}
        for row in rows:
            latest.setdefault(row.consultation_id, row)
        return list(latest.values())

    async def protocol_versions(self, consultation_id: str) -> list[ProtocolRow]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(ProtocolRow)
                    .where(ProtocolRow.consultation_id == consultation_id)
                    .order_by(ProtocolRow.version)
                )
            )

    async def sign_protocol(
        self,
        *,
        protocol_id: str,
        consultation_id: str,
        based_on_version: int,
        doctor_id: str,
        signed_at: datetime,
        data: dict[str, object],
        html: str,
        pushes: dict[str, dict[str, object]],
        prescriptions: Sequence[NewPrescription] = (),
        notices: Sequence[SmsNotice] = (),
    ) -> ProtocolRow:
        """Stores a new signed version and its record pushes in one transaction.

        `based_on_version` is the version the doctor edited: if another version was added
        since, nothing is written and Conflict is raised, so no edit is silently lost. The
        prescriptions the protocol renews and the SMS that tell the patient are written in
        the same transaction: a signature without its renewal, or the reverse, cannot exist.
        """
        try:
            return await self._sign(
                protocol_id,
                consultation_id,
                based_on_version,
                doctor_id,
                signed_at,
                data,
                html,
                pushes,
                prescriptions,
                notices,
            )
        except IntegrityError as exc:  # another signature of the same version won the race
            raise Conflict("the protocol changed since it was opened") from exc

    async def _sign(
        self,
        protocol_id: str,
        consultation_id: str,
        based_on_version: int,
        doctor_id: str,
        signed_at: datetime,
        data: dict[str, object],
        html: str,
        pushes: dict[str, dict[str, object]],
        prescriptions: Sequence[NewPrescription],
        notices: Sequence[SmsNotice],
    ) -> ProtocolRow:
        async with self._session() as s, s.begin():
            latest = await s.scalar(
                select(ProtocolRow)
                .where(ProtocolRow.consultation_id == consultation_id)
                .order_by(ProtocolRow.version.desc())
                .limit(1)
            )
            if latest is None or latest.version != based_on_version:
                raise Conflict("the protocol changed since it was opened")
            previous_signed = await s.scalar(
                select(ProtocolRow.id)
                .where(ProtocolRow.consultation_id == consultation_id)
                .where(ProtocolRow.status == "signed")
                .order_by(ProtocolRow.version.desc())
                .limit(1)
            )
            row = ProtocolRow(
                id=protocol_id,
                consultation_id=consultation_id,
                version=latest.version + 1,
                status="signed",
                data=data,
                html=html,
                created_at=signed_at,
                signed_by=doctor_id,
                signed_at=signed_at,
                supersedes_id=previous_signed,
            )
            s.add(row)
            await s.flush()
            queue_pushes(
                s,
                (
                    RecordPush(target, f"{target}:{protocol_id}", payload, protocol_id)
                    for target, payload in pushes.items()
                ),
            )
            s.add_all(p.row() for p in prescriptions)
            await s.flush()
            for notice in notices:
                await queue_notice(s, notice)
        return row

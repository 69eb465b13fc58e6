"""The queue of waiting patients and the consultations doctors take from it."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from clinic.domain import CallMode, ConsultationStatus, Reason
from clinic.store.base import Store
from clinic.tables import Consultation, Patient
from clinic.time import aware as _aware
from clinic.time import now


class DoctorBusy(Exception):
    """The doctor already has a consultation in progress (the database's unique index)."""


class QueueStore(Store):
    async def open_consultation_of(self, patient_id: str) -> Consultation | None:
        """The patient's waiting or active consultation, if any: a rejoin finds it here."""
        async with self._session() as s:
            return await s.scalar(
                select(Consultation)
                .where(Consultation.patient_id == patient_id)
                .where(
                    Consultation.status.in_(
                        [ConsultationStatus.WAITING.value, ConsultationStatus.ACTIVE.value]
                    )
                )
                .order_by(Consultation.queued_at.desc())
                .limit(1)
            )

    async def enqueue(
        self,
        patient_id: str,
        reason: Reason,
        mode: CallMode,
        language: str,
        urgent: bool = False,
    ) -> Consultation:
        existing = await self.open_consultation_of(patient_id)
        if existing is not None:
            if (
                urgent
                and existing.status == ConsultationStatus.WAITING.value
                and existing.priority == 0
            ):
                # A high-risk check-in while already waiting moves the place forward.
                async with self._session() as s, s.begin():
                    await s.execute(
                        update(Consultation)
                        .where(Consultation.id == existing.id)
                        .values(priority=1, reason=reason.value)
                    )
                existing.priority, existing.reason = 1, reason.value
            return existing
        consultation = Consultation(
            id=str(uuid.uuid4()),
            patient_id=patient_id,
            doctor_id=None,
            reason=reason.value,
            mode=mode.value,
            language=language,
            status=ConsultationStatus.WAITING.value,
            queued_at=now(),
            started_at=None,
            ended_at=None,
            priority=1 if urgent else 0,
        )
        try:
            async with self._session() as s, s.begin():
                s.add(consultation)
        except IntegrityError:
            # Another socket or node queued this patient between the read and the insert:
            # the unique index kept one place, and this call joins it.
            winner = await self.open_consultation_of(patient_id)
            if winner is None:
                raise
            return winner
        return consultation

    async def waiting(self) -> list[tuple[Consultation, Patient]]:
        async with self._session() as s:
            rows = await s.execute(
                select(Consultation, Patient)
                .join(Patient, Patient.id == Consultation.patient_id)
                .where(Consultation.status == ConsultationStatus.WAITING.value)
                .order_by(Consultation.priority.desc(), Consultation.queued_at)
            )
            return [(c, p) for c, p in rows.all()]

    async def take(self, doctor_id: str, consultation_id: str | None) -> Consultation | None:
        """Atomically moves one waiting consultation to the doctor: two doctors never get one.

        None when no such patient is waiting; raises DoctorBusy when the doctor already has a
        call in progress, even one taken at the same instant on another socket or node.
        """
        try:
            return await self._take(doctor_id, consultation_id)
        except IntegrityError as exc:
            raise DoctorBusy(doctor_id) from exc

    async def _take(self, doctor_id: str, consultation_id: str | None) -> Consultation | None:
        async with self._session() as s, s.begin():
            if consultation_id is None:
                consultation_id = await s.scalar(
                    select(Consultation.id)
                    .where(Consultation.status == ConsultationStatus.WAITING.value)
                    .where(Consultation.away_since.is_(None))  # never a patient not there
                    .order_by(Consultation.priority.desc(), Consultation.queued_at)
                    .limit(1)
                )
                if consultation_id is None:
                    return None
            result = await s.execute(
                update(Consultation)
                .where(Consultation.id == consultation_id)
                .where(Consultation.status == ConsultationStatus.WAITING.value)
                .where(Consultation.away_since.is_(None))
                .values(
                    status=ConsultationStatus.ACTIVE.value, doctor_id=doctor_id, started_at=now()
                )
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await s.get(Consultation, consultation_id)

    async def ping(self) -> None:
        """Raises if the database does not answer."""
        async with self._session() as s:
            await s.execute(select(1))

    async def median_consultation_s(self, recent: int = 50) -> float | None:
        """The median length of the last ended consultations; None before there are any."""
        async with self._session() as s:
            rows = (
                await s.execute(
                    select(Consultation.started_at, Consultation.ended_at)
                    .where(Consultation.status == ConsultationStatus.ENDED.value)
                    .where(Consultation.started_at.is_not(None))
                    .order_by(Consultation.ended_at.desc())
                    .limit(recent)
                )
            ).all()
        lengths = sorted(
            (_aware(end) - _aware(start)).total_seconds() for start, end in rows if start and end
        )
        return lengths[len(lengths) // 2] if lengths else None

    async def count_active_consultations(self) -> int:
        async with self._session() as s:
            return int(
                await s.scalar(
                    select(func.count())
                    .select_from(Consultation)
                    .where(Consultation.status == ConsultationStatus.ACTIVE.value)
                )
                or 0
            )

    async def consultation(self, consultation_id: str) -> Consultation | None:
        async with self._session() as s:
            return await s.get(Consultation, consultation_id)

    async def active_consultation_of_doctor(self, doctor_id: str) -> Consultation | None:
        async with self._session() as s:
            return await s.scalar(
                select(Consultation)
                .where(Consultation.doctor_id == doctor_id)
                .where(Consultation.status == ConsultationStatus.ACTIVE.value)
                .limit(1)
            )

    async def finish(self, consultation_id: str, status: ConsultationStatus) -> bool:
        """Ends an open consultation; False when it was already over."""
        async with self._session() as s, s.begin():
            result = await s.execute(
                update(Consultation)
                .where(Consultation.id == consultation_id)
                .where(
                    Consultation.status.in_(
                        [ConsultationStatus.WAITING.value, ConsultationStatus.ACTIVE.value]
                    )
                )
                .values(status=status.value, ended_at=now())
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

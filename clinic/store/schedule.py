"""Polyclinic schedules: published slots, booked atomically so two doctors never book one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.store.base import Store
from clinic.store.record_push import RecordPush, queue_pushes
from clinic.store.sms import SmsNotice, queue_notice
from clinic.tables import Slot
from clinic.time import now


class ScheduleStore(Store):
    async def publish_slots(
        self,
        organisation_id: str,
        doctor_name: str,
        specialty: str,
        starts: Iterable[datetime],
        minutes: int = 20,
        room: str = "",
    ) -> list[Slot]:
        slots = [
            Slot(
                id=str(uuid.uuid4()),
                organisation_id=organisation_id,
                doctor_name=doctor_name,
                specialty=specialty,
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes),
                room=room,
            )
            for start in starts
        ]
        async with self._session() as s, s.begin():
            s.add_all(slots)
        return slots

    async def slot(self, slot_id: str) -> Slot | None:
        async with self._session() as s:
            return await s.get(Slot, slot_id)

    async def free_slots(
        self, organisation_id: str, not_before: datetime, limit: int = 20
    ) -> list[Slot]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(Slot)
                    .where(Slot.organisation_id == organisation_id)
                    .where(Slot.patient_id.is_(None))
                    .where(Slot.starts_at >= not_before)
                    .order_by(Slot.starts_at)
                    .limit(limit)
                )
            )

    async def slots_of(self, organisation_id: str, not_before: datetime) -> list[Slot]:
        """The whole schedule from a moment on, booked or not: the operator's view."""
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(Slot)
                    .where(Slot.organisation_id == organisation_id)
                    .where(Slot.starts_at >= not_before)
                    .order_by(Slot.starts_at)
                )
            )

    async def appointments_of(self, patient_id: str, not_before: datetime) -> list[Slot]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(Slot)
                    .where(Slot.patient_id == patient_id)
                    .where(Slot.starts_at >= not_before)
                    .order_by(Slot.starts_at)
                )
            )

    async def appointment_from(self, consultation_id: str) -> Slot | None:
        """The visit a consultation booked, if it did (a confirmed booking is not repeated)."""
        async with self._session() as s:
            return await s.scalar(
                select(Slot)
                .where(Slot.consultation_id == consultation_id)
                .where(Slot.patient_id.is_not(None))
                .limit(1)
            )

    async def book_slot(
        self,
        slot_id: str,
        patient_id: str,
        *,
        consultation_id: str | None,
        booked_by: str,
        notice: SmsNotice | None = None,
        pushes: Sequence[RecordPush] = (),
    ) -> bool:
        """Books a free future slot; False when someone else got it first. The SMS and the
        record pushes are queued only with a booking that happened."""
        async with self._session() as s, s.begin():
            if not await _take(s, slot_id, patient_id, consultation_id, booked_by):
                return False
            await queue_notice(s, notice)
            queue_pushes(s, pushes)
            return True

    async def cancel_booking(
        self,
        slot_id: str,
        patient_id: str,
        notice: SmsNotice | None = None,
        pushes: Sequence[RecordPush] = (),
    ) -> bool:
        async with self._session() as s, s.begin():
            result = await s.execute(
                update(Slot)
                .where(Slot.id == slot_id)
                .where(Slot.patient_id == patient_id)
                .values(patient_id=None, consultation_id=None, booked_by=None, booked_at=None)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            await queue_notice(s, notice)
            queue_pushes(s, pushes)
            return True

    async def move_booking(
        self,
        from_slot_id: str,
        to_slot_id: str,
        patient_id: str,
        *,
        booked_by: str,
        notice: SmsNotice | None = None,
        pushes: Sequence[RecordPush] = (),
    ) -> bool:
        """Takes the new slot and frees the old one in one transaction: the patient never
        ends up with two visits or none. False (nothing changed) if either step fails."""
        async with self._session() as s, s.begin():
            old = await s.get(Slot, from_slot_id)
            if old is None or old.patient_id != patient_id:
                return False
            if not await _take(s, to_slot_id, patient_id, old.consultation_id, booked_by):
                await s.rollback()
                return False
            await s.execute(
                update(Slot)
                .where(Slot.id == from_slot_id)
                .values(patient_id=None, consultation_id=None, booked_by=None, booked_at=None)
            )
            await queue_notice(s, notice)
            queue_pushes(s, pushes)
            return True


async def _take(
    s: AsyncSession, slot_id: str, patient_id: str, consultation_id: str | None, booked_by: str
) -> bool:
    """The one conditional UPDATE every booking goes through: of any number of concurrent
    takers exactly one matches `patient_id IS NULL`, on SQLite and PostgreSQL alike."""
    moment = now()
    result = await s.execute(
        update(Slot)
        .where(Slot.id == slot_id)
        .where(Slot.patient_id.is_(None))
        .where(Slot.starts_at > moment)
        .values(
            patient_id=patient_id,
            consultation_id=consultation_id,
            booked_by=booked_by,
            booked_at=moment,
        )
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]

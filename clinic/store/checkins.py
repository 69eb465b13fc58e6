"""Chemotherapy check-ins and the reviews doctors owe them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update

from clinic.store.base import Store
from clinic.tables import CheckIn, Doctor, Patient
from clinic.time import now


class CheckInStore(Store):
    async def set_chemotherapy(self, patient_id: str, active: bool) -> None:
        async with self._session() as s, s.begin():
            await s.execute(
                update(Patient).where(Patient.id == patient_id).values(under_chemotherapy=active)
            )

    async def add_checkin(
        self,
        *,
        patient_id: str,
        submitted_by: str,
        answers: dict[str, object],
        level: str,
        flags: list[str],
        review_due_at: datetime | None,
    ) -> CheckIn:
        row = CheckIn(
            id=str(uuid.uuid4()),
            patient_id=patient_id,
            submitted_by=submitted_by,
            submitted_at=now(),
            answers=answers,
            level=level,
            flags=flags,
            review_due_at=review_due_at,
        )
        async with self._session() as s, s.begin():
            s.add(row)
        return row

    async def checkins_of(self, patient_id: str, limit: int = 30) -> list[CheckIn]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(CheckIn)
                    .where(CheckIn.patient_id == patient_id)
                    .order_by(CheckIn.submitted_at.desc())
                    .limit(limit)
                )
            )

    async def checkin(self, checkin_id: str) -> CheckIn | None:
        async with self._session() as s:
            return await s.get(CheckIn, checkin_id)

    async def unreviewed_high_risk(self, patient_id: str) -> CheckIn | None:
        """The patient's latest high-risk check-in that no doctor has reviewed yet."""
        async with self._session() as s:
            return await s.scalar(
                select(CheckIn)
                .where(CheckIn.patient_id == patient_id)
                .where(CheckIn.review_due_at.is_not(None))
                .where(CheckIn.reviewed_at.is_(None))
                .order_by(CheckIn.submitted_at.desc())
                .limit(1)
            )

    async def reviews_due(self, organisation_id: str | None) -> list[tuple[CheckIn, Patient]]:
        """Unreviewed high-risk check-ins, soonest due first: of one centre's patients, or
        (None) of every centre, for operators watching deadlines."""
        async with self._session() as s:
            query = (
                select(CheckIn, Patient)
                .join(Patient, Patient.id == CheckIn.patient_id)
                .where(CheckIn.review_due_at.is_not(None))
                .where(CheckIn.reviewed_at.is_(None))
                .order_by(CheckIn.review_due_at)
            )
            if organisation_id is not None:
                query = query.where(Patient.oncology_centre_id == organisation_id)
            return [(c, p) for c, p in (await s.execute(query)).all()]

    async def count_reviews_overdue(self) -> int:
        async with self._session() as s:
            return int(
                await s.scalar(
                    select(func.count())
                    .select_from(CheckIn)
                    .where(CheckIn.reviewed_at.is_(None))
                    .where(CheckIn.review_due_at < now())
                )
                or 0
            )

    async def review_checkin(self, checkin_id: str, doctor_id: str, note: str) -> bool:
        """Marks the check-in reviewed; False when someone reviewed it first."""
        async with self._session() as s, s.begin():
            result = await s.execute(
                update(CheckIn)
                .where(CheckIn.id == checkin_id)
                .where(CheckIn.reviewed_at.is_(None))
                .values(reviewed_at=now(), reviewed_by=doctor_id, review_note=note)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def organisation_of(self, doctor_id: str) -> str | None:
        async with self._session() as s:
            return await s.scalar(select(Doctor.organisation_id).where(Doctor.id == doctor_id))

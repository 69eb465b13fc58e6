"""Whether a waiting patient has their page open, and whether a patient joined their call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from clinic.domain import ConsultationStatus
from clinic.store.base import Store
from clinic.tables import Consultation
from clinic.time import now

WAITING = ConsultationStatus.WAITING.value


class PresenceStore(Store):
    async def patient_back(self, patient_id: str) -> bool:
        """The patient's page is open again: their waiting place is theirs as before.
        True when they had been away."""
        return await self._mark_away(patient_id, None)

    async def patient_away(self, patient_id: str) -> bool:
        """The patient's last page closed: their place waits, marked away since now.
        True when they had been present."""
        return await self._mark_away(patient_id, now())

    async def _mark_away(self, patient_id: str, since: datetime | None) -> bool:
        was = Consultation.away_since.is_(None) if since else Consultation.away_since.is_not(None)
        async with self._session() as s, s.begin():
            result = await s.execute(
                update(Consultation)
                .where(Consultation.patient_id == patient_id)
                .where(Consultation.status == WAITING)
                .where(was)
                .values(away_since=since)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def drop_away(self, before: datetime) -> list[Consultation]:
        """Waiting places whose patient went away before `before` leave the queue."""
        async with self._session() as s, s.begin():
            gone = list(
                await s.scalars(
                    select(Consultation)
                    .where(Consultation.status == WAITING)
                    .where(Consultation.away_since < before)
                )
            )
            if gone:
                await s.execute(
                    update(Consultation)
                    .where(Consultation.id.in_([c.id for c in gone]))
                    .where(Consultation.status == WAITING)
                    .values(status=ConsultationStatus.CANCELLED.value, ended_at=now())
                )
            return gone

    async def patient_connected(self, consultation_id: str) -> None:
        """The patient's browser offered its audio for the call (the first time counts)."""
        async with self._session() as s, s.begin():
            await s.execute(
                update(Consultation)
                .where(Consultation.id == consultation_id)
                .where(Consultation.patient_connected_at.is_(None))
                .values(patient_connected_at=now())
            )

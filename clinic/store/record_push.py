"""The outbox of record pushes, and the built-in medical record they land in."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.store.base import Store
from clinic.tables import OutboxEntry, RecordDocument
from clinic.time import now


@dataclass(frozen=True)
class RecordPush:
    """A Bundle for one medical record, queued in the transaction of the change it records."""

    target: str
    key: str  # one push per key
    payload: dict[str, object]
    protocol_id: str | None = None


def queue_pushes(session: AsyncSession, pushes: Iterable[RecordPush]) -> None:
    moment = now()
    for push in pushes:
        session.add(
            OutboxEntry(
                id=str(uuid.uuid4()),
                protocol_id=push.protocol_id,
                target=push.target,
                idempotency_key=push.key,
                payload=push.payload,
                status="pending",
                attempts=0,
                next_attempt_at=moment,
                created_at=moment,
            )
        )


class RecordPushStore(Store):
    async def claim_outbox(self, lease_s: float, limit: int = 10) -> list[OutboxEntry]:
        """Due pending entries, each leased to this caller by moving its next attempt on."""
        moment = now()
        claimed = []
        async with self._session() as s, s.begin():
            due = list(
                await s.scalars(
                    select(OutboxEntry)
                    .where(OutboxEntry.status == "pending")
                    .where(OutboxEntry.next_attempt_at <= moment)
                    .order_by(OutboxEntry.next_attempt_at)
                    .limit(limit)
                )
            )
            for entry in due:
                result = await s.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.id == entry.id)
                    .where(OutboxEntry.next_attempt_at == entry.next_attempt_at)
                    .values(next_attempt_at=moment + timedelta(seconds=lease_s))
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(entry)
        return claimed

    async def next_outbox_due(self) -> datetime | None:
        async with self._session() as s:
            return await s.scalar(
                select(func.min(OutboxEntry.next_attempt_at)).where(OutboxEntry.status == "pending")
            )

    async def outbox_sent(self, entry_id: str, remote_ref: str) -> None:
        async with self._session() as s, s.begin():
            await s.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id == entry_id)
                .values(
                    status="sent",
                    sent_at=now(),
                    remote_ref=remote_ref[:200],
                    last_error=None,
                    attempts=OutboxEntry.attempts + 1,
                )
            )

    async def outbox_failed(self, entry_id: str, error: str, retry_in_s: float) -> None:
        async with self._session() as s, s.begin():
            await s.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id == entry_id)
                .values(
                    last_error=error[:2000],
                    attempts=OutboxEntry.attempts + 1,
                    next_attempt_at=now() + timedelta(seconds=retry_in_s),
                )
            )

    async def outbox(self, status: str | None = None) -> list[OutboxEntry]:
        async with self._session() as s:
            query = select(OutboxEntry).order_by(OutboxEntry.created_at)
            if status is not None:
                query = query.where(OutboxEntry.status == status)
            return list(await s.scalars(query))

    async def store_record_document(
        self,
        idempotency_key: str,
        patient_id: str,
        protocol_id: str | None,
        bundle: dict[str, object],
    ) -> str:
        """Stores a Bundle in the built-in record once; a repeat returns the first copy's id."""
        async with self._session() as s, s.begin():
            existing = await s.scalar(
                select(RecordDocument.id).where(RecordDocument.idempotency_key == idempotency_key)
            )
            if existing is not None:
                return existing
            document = RecordDocument(
                id=str(uuid.uuid4()),
                idempotency_key=idempotency_key,
                patient_id=patient_id,
                protocol_id=protocol_id,
                bundle=bundle,
                stored_at=now(),
            )
            s.add(document)
            return document.id

    async def record_documents(self, patient_id: str) -> list[RecordDocument]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(RecordDocument)
                    .where(RecordDocument.patient_id == patient_id)
                    .order_by(RecordDocument.stored_at)
                )
            )

"""The SMS outbox and log: a message is written before it is sent, with the action that
caused it, and the dispatcher delivers it from here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clinic.store.base import Store
from clinic.tables import SmsMessage
from clinic.time import now


@dataclass(frozen=True)
class SmsNotice:
    """A message to queue with the action that causes it, in the same transaction."""

    phone: str
    text: str
    purpose: str
    patient_id: str | None
    key: str  # one message per key: a repeated action queues nothing


async def queue_notice(session: AsyncSession, notice: SmsNotice | None) -> str | None:
    if notice is None:
        return None
    return await queue_sms(
        session,
        phone=notice.phone,
        text=notice.text,
        purpose=notice.purpose,
        patient_id=notice.patient_id,
        key=notice.key,
    )


async def queue_sms(
    session: AsyncSession, *, phone: str, text: str, purpose: str, patient_id: str | None, key: str
) -> str | None:
    """Adds a pending message inside the caller's transaction; None if `key` was queued
    before, so a repeated action sends nothing twice."""
    if (
        await session.scalar(select(SmsMessage.id).where(SmsMessage.idempotency_key == key))
        is not None
    ):
        return None
    message_id = str(uuid.uuid4())
    moment = now()
    session.add(
        SmsMessage(
            id=message_id,
            phone=phone,
            text=text,
            purpose=purpose,
            status="pending",
            created_at=moment,
            patient_id=patient_id,
            idempotency_key=key,
            attempts=0,
            next_attempt_at=moment,
        )
    )
    return message_id


class SmsStore(Store):
    async def queue_sms(
        self, *, phone: str, text: str, purpose: str, patient_id: str | None, key: str
    ) -> str | None:
        async with self._session() as s, s.begin():
            return await queue_sms(
                s, phone=phone, text=text, purpose=purpose, patient_id=patient_id, key=key
            )

    async def sms(self, message_id: str) -> SmsMessage | None:
        async with self._session() as s:
            return await s.get(SmsMessage, message_id)

    async def claim_sms(self, lease_s: float, limit: int = 20) -> list[SmsMessage]:
        """Due pending messages, each leased to this caller by moving its next attempt on."""
        moment = now()
        claimed = []
        async with self._session() as s, s.begin():
            due = list(
                await s.scalars(
                    select(SmsMessage)
                    .where(SmsMessage.status == "pending")
                    .where(SmsMessage.next_attempt_at <= moment)
                    .order_by(SmsMessage.next_attempt_at)
                    .limit(limit)
                )
            )
            for message in due:
                result = await s.execute(
                    update(SmsMessage)
                    .where(SmsMessage.id == message.id)
                    .where(SmsMessage.next_attempt_at == message.next_attempt_at)
                    .values(next_attempt_at=moment + timedelta(seconds=lease_s))
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(message)
        return claimed

    async def next_sms_due(self) -> datetime | None:
        """When the earliest pending message is next due, so a retry is not late."""
        async with self._session() as s:
            return await s.scalar(
                select(func.min(SmsMessage.next_attempt_at)).where(SmsMessage.status == "pending")
            )

    async def sms_sent(self, message_id: str, status: str, operator_ref: str) -> None:
        async with self._session() as s, s.begin():
            await s.execute(
                update(SmsMessage)
                .where(SmsMessage.id == message_id)
                .values(
                    status=status,
                    sent_at=now(),
                    operator_ref=operator_ref[:120],
                    last_error=None,
                    attempts=SmsMessage.attempts + 1,
                )
            )

    async def sms_failed(self, message_id: str, error: str, retry_in_s: float | None) -> None:
        """A failed attempt: retried after `retry_in_s`, or given up on when None."""
        async with self._session() as s, s.begin():
            values: dict[str, object] = {
                "last_error": error[:2000],
                "attempts": SmsMessage.attempts + 1,
            }
            if retry_in_s is None:
                values["status"] = "failed"
            else:
                values["next_attempt_at"] = now() + timedelta(seconds=retry_in_s)
            await s.execute(update(SmsMessage).where(SmsMessage.id == message_id).values(**values))

    async def sms_delivery_report(
        self, message_id: str, delivered: bool, error: str | None = None
    ) -> SmsMessage | None:
        """The operator's word on a sent message; None for a message we never sent."""
        async with self._session() as s, s.begin():
            message = await s.get(SmsMessage, message_id)
            if message is None or message.status not in ("sent", "delivered", "failed"):
                return None
            message.status = "delivered" if delivered else "failed"
            if delivered:
                message.delivered_at = now()
            else:
                message.last_error = (error or "the operator reported no delivery")[:2000]
            return message

    async def sms_log(self, limit: int = 200, patient_id: str | None = None) -> list[SmsMessage]:
        async with self._session() as s:
            query = select(SmsMessage).order_by(SmsMessage.created_at.desc()).limit(limit)
            if patient_id is not None:
                query = query.where(SmsMessage.patient_id == patient_id)
            return list(await s.scalars(query))

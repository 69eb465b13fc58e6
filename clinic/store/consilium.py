"""Tumour board (consilium) decisions and the invitation to talk each one over."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from clinic.store.base import Store
from clinic.store.sms import SmsNotice, queue_notice
from clinic.tables import ConsiliumDecision, Invitation
from clinic.time import now


class ConsiliumStore(Store):
    async def add_consilium_decision(
        self,
        *,
        patient_id: str,
        organisation_id: str | None,
        decided_on: str,
        decision: str,
        entered_by: str,
        external_id: str | None,
        invitation: Invitation,
        notice: SmsNotice | None,
    ) -> tuple[ConsiliumDecision, bool]:
        """Stores the decision with its invitation and notice in one transaction.

        Returns the decision and whether it is new: an import repeated with the same
        external id stores, invites and notifies nothing the second time.
        """
        async with self._session() as s, s.begin():
            if external_id is not None:
                existing = await s.scalar(
                    select(ConsiliumDecision)
                    .where(ConsiliumDecision.organisation_id == organisation_id)
                    .where(ConsiliumDecision.external_id == external_id)
                )
                if existing is not None:
                    return existing, False
            s.add(invitation)
            row = ConsiliumDecision(
                id=str(uuid.uuid4()),
                patient_id=patient_id,
                organisation_id=organisation_id,
                decided_on=decided_on,
                decision=decision,
                entered_by=entered_by,
                invitation_id=invitation.id,
                external_id=external_id,
                created_at=now(),
            )
            s.add(row)
            await s.flush()
            await queue_notice(s, notice)
            return row, True

    async def consilium_decisions_of(self, patient_id: str) -> list[ConsiliumDecision]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(ConsiliumDecision)
                    .where(ConsiliumDecision.patient_id == patient_id)
                    .order_by(ConsiliumDecision.created_at.desc())
                )
            )

    async def consilium_decisions_of_centre(
        self, organisation_id: str, limit: int = 200
    ) -> list[ConsiliumDecision]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(ConsiliumDecision)
                    .where(ConsiliumDecision.organisation_id == organisation_id)
                    .order_by(ConsiliumDecision.created_at.desc())
                    .limit(limit)
                )
            )

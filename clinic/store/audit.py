"""The append-only audit trail."""

from __future__ import annotations

from sqlalchemy import select

from clinic.domain import Principal
from clinic.store.base import Store
from clinic.tables import AuditEntry
from clinic.time import now


class AuditStore(Store):
    async def audit(
        self,
        actor: Principal | None,
        action: str,
        *,
        patient_id: str | None = None,
        object_id: str | None = None,
        source: str | None = None,
        outcome: str = "ok",
        detail: str | None = None,
    ) -> None:
        async with self._session() as s, s.begin():
            s.add(
                AuditEntry(
                    at=now(),
                    actor_role=actor.role.value if actor else "anonymous",
                    actor_id=actor.id if actor else None,
                    action=action,
                    patient_id=patient_id,
                    object_id=object_id,
                    source=source,
                    outcome=outcome,
                    detail=detail,
                )
            )

    async def audit_entries(self, patient_id: str | None = None) -> list[AuditEntry]:
        async with self._session() as s:
            query = select(AuditEntry).order_by(AuditEntry.id)
            if patient_id is not None:
                query = query.where(AuditEntry.patient_id == patient_id)
            return list(await s.scalars(query))

"""Delivers record pushes from the outbox: retried with backoff, each delivered once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from clinic.dispatcher import Dispatcher
from clinic.records import Records
from protocol_writer.emr import MedicalRecord

log = logging.getLogger(__name__)


class OutboxDispatcher(Dispatcher):
    def __init__(
        self,
        records: Records,
        targets: Mapping[str, MedicalRecord],
        retry_base_s: float = 2.0,
        retry_max_s: float = 300.0,
        poll_s: float = 5.0,
    ) -> None:
        self._records = records
        self._targets = targets
        self._retry_base = retry_base_s
        self._retry_max = retry_max_s
        super().__init__(poll_s)

    async def next_due(self) -> datetime | None:
        return await self._records.next_outbox_due()

    async def deliver_due(self) -> int:
        """One pass over due entries; returns how many were delivered."""
        delivered = 0
        for entry in await self._records.claim_outbox(lease_s=60):
            if self.stopping:  # the rest wait out their lease for the next node
                break
            target = self._targets.get(entry.target)
            if target is None:
                await self._records.outbox_failed(
                    entry.id, f"no target {entry.target!r}", self._retry_max
                )
                continue
            try:
                reference = await target.push(dict(entry.payload), entry.idempotency_key)
            except Exception as exc:
                delay = min(self._retry_max, self._retry_base * 2**entry.attempts)
                await self._records.outbox_failed(entry.id, str(exc), delay)
                log.warning(
                    "outbox_push_failed target=%s attempts=%d retry_in_s=%.1f",
                    entry.target,
                    entry.attempts + 1,
                    delay,
                )
                continue
            await self._records.outbox_sent(entry.id, reference)
            delivered += 1
        return delivered

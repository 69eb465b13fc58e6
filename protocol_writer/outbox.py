"""Delivers record pushes from the outbox: retried with backoff, each delivered once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from clinic.records import Records
from protocol_writer.emr import MedicalRecord

log = logging.getLogger(__name__)


class OutboxDispatcher:
    def __init__(self, records: Records, targets: Mapping[str, MedicalRecord],
                 retry_base_s: float = 2.0, retry_max_s: float = 300.0,
                 poll_s: float = 5.0) -> None:
        self._records = records
        self._targets = targets
        self._retry_base = retry_base_s
        self._retry_max = retry_max_s
        self._poll = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def nudge(self) -> None:
        """Something was signed: deliver now rather than at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("outbox_delivery_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            self._wake.clear()

    async def deliver_due(self) -> int:
        """One pass over due entries; returns how many were delivered."""
        delivered = 0
        for entry in await self._records.claim_outbox(lease_s=60):
            target = self._targets.get(entry.target)
            if target is None:
                await self._records.outbox_failed(entry.id, f"no target {entry.target!r}",
                                                  self._retry_max)
                continue
            try:
                reference = await target.push(dict(entry.payload), entry.idempotency_key)
            except Exception as exc:
                delay = min(self._retry_max, self._retry_base * 2 ** entry.attempts)
                await self._records.outbox_failed(entry.id, str(exc), delay)
                log.warning("outbox_push_failed target=%s attempts=%d retry_in_s=%.1f",
                            entry.target, entry.attempts + 1, delay)
                continue
            await self._records.outbox_sent(entry.id, reference)
            delivered += 1
        return delivered

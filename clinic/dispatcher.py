"""A background loop that delivers due work (record pushes, SMS) from an outbox table:
woken at once when something is queued, otherwise when the next retry falls due."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from clinic.time import aware, now

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, poll_s: float) -> None:
        self._poll = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def deliver_due(self) -> int:
        """One pass over due entries; returns how many were delivered."""
        raise NotImplementedError

    async def next_due(self) -> datetime | None:
        """When the earliest waiting entry is due; None: poll as usual."""
        return None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def nudge(self) -> None:
        """Something was queued: deliver now rather than at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await self.deliver_due()
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("%s_delivery_failed", type(self).__name__.lower())
            timeout = await self._until_due()
            # asyncio.timeout, not wait_for: 3.11's wait_for runs the wait as a task of its
            # own, and a stop() landing as that task finished could leave stop() waiting on
            # a cancellation that never completed (seen as a rare hang at shutdown).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            self._wake.clear()

    async def _until_due(self) -> float:
        try:
            due = await self.next_due()
        except Exception:
            return self._poll
        if due is None:
            return self._poll
        return min(self._poll, max(0.0, (aware(due) - now()).total_seconds()))

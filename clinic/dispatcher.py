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
    # How long stop() lets a delivery under way finish: an SMS operator's call is bounded at
    # 15 s. One still running after it is cancelled; its lease brings it back later.
    STOP_GRACE_S = 15.0

    def __init__(self, poll_s: float) -> None:
        self._poll = poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def stopping(self) -> bool:
        """deliver_due checks it between entries: a stopping dispatcher starts no new one."""
        return self._stopping

    async def deliver_due(self) -> int:
        """One pass over due entries; returns how many were delivered."""
        raise NotImplementedError

    async def next_due(self) -> datetime | None:
        """When the earliest waiting entry is due; None: poll as usual."""
        return None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Lets the delivery under way finish and records its outcome, then returns.

        Cancelling it instead could interrupt a database call half-way, just before the
        pool is disposed, and left a message the operator took unrecorded until its lease
        ran out.
        """
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            async with asyncio.timeout(self.STOP_GRACE_S):
                await asyncio.shield(self._task)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def nudge(self) -> None:
        """Something was queued: deliver now rather than at the next poll."""
        self._wake.set()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.deliver_due()
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("%s_delivery_failed", type(self).__name__.lower())
            if self._stopping:
                return
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

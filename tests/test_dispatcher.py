"""Stopping a delivery loop at shutdown: the delivery under way finishes and is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from clinic.db import create_engine, upgrade_async
from clinic.records import Records
from clinic.sms import Messenger
from tests.conftest import make_settings


class SlowOperator:
    """An SMS operator that answers only when told to; counts what it was handed."""

    accepted_status = "sent"

    def __init__(self) -> None:
        self.called = asyncio.Event()
        self.answer = asyncio.Event()
        self.handed: list[str] = []

    async def deliver(self, message_id: str, phone: str, text: str) -> str:
        self.handed.append(message_id)
        self.called.set()
        await self.answer.wait()
        return f"op-{message_id}"


@pytest.fixture
async def records(tmp_path: Path) -> AsyncIterator[Records]:
    settings = make_settings(tmp_path)
    await upgrade_async(settings.database_url)
    engine = create_engine(settings)
    yield Records(engine)
    await engine.dispose()


async def queued(records: Records, count: int) -> list[str]:
    ids = []
    for i in range(count):
        message_id = await records.queue_sms(
            phone="+79990000000", text=f"сообщение {i}", purpose="test", patient_id=None, key=str(i)
        )
        assert message_id is not None
        ids.append(message_id)
    return ids


async def test_a_stop_during_a_delivery_waits_for_it_and_starts_no_other(records: Records) -> None:
    first, *rest = await queued(records, 3)
    operator = SlowOperator()
    messenger = Messenger(records, operator)
    messenger.start()
    await asyncio.wait_for(operator.called.wait(), 10)

    stopping = asyncio.create_task(messenger.stop())
    await asyncio.sleep(0.3)
    assert not stopping.done(), "stop() returned while the operator still had the message"
    operator.answer.set()
    await asyncio.wait_for(stopping, 10)

    assert len(operator.handed) == 1, "a stopping messenger handed over another message"
    done = await records.sms(operator.handed[0])
    assert done is not None and (done.status, done.operator_ref) == ("sent", f"op-{done.id}")
    for message_id in {first, *rest} - set(operator.handed):
        message = await records.sms(message_id)
        assert message is not None and message.status == "pending"


async def test_a_delivery_that_outlasts_the_grace_is_cancelled(records: Records) -> None:
    await queued(records, 1)
    operator = SlowOperator()  # never answers
    messenger = Messenger(records, operator)
    messenger.STOP_GRACE_S = 0.5
    messenger.start()
    await asyncio.wait_for(operator.called.wait(), 10)
    await asyncio.wait_for(messenger.stop(), 5)
    assert operator.handed and not operator.answer.is_set()


async def test_a_stop_while_idle_returns_at_once(records: Records) -> None:
    messenger = Messenger(records, SlowOperator(), poll_s=3600)
    messenger.start()
    await asyncio.sleep(0.2)  # its first pass found nothing; it waits for the next poll
    await asyncio.wait_for(messenger.stop(), 2)

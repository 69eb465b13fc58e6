"""The medical record store: every read and write of patient data goes through here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from clinic.db import create_engine, upgrade_async
from clinic.settings import Settings
from clinic.store.audit import AuditStore
from clinic.store.base import Conflict, token_hash
from clinic.store.checkins import CheckInStore
from clinic.store.consilium import ConsiliumStore
from clinic.store.people import PeopleStore
from clinic.store.prescriptions import PrescriptionStore
from clinic.store.presence import PresenceStore
from clinic.store.protocols import ProtocolStore
from clinic.store.queue import QueueStore
from clinic.store.record_push import RecordPushStore
from clinic.store.schedule import ScheduleStore
from clinic.store.sms import SmsStore
from clinic.store.transcript import TranscriptStore

__all__ = ["Conflict", "Records", "opened_records", "token_hash"]


class Records(
    PeopleStore,
    QueueStore,
    PresenceStore,
    TranscriptStore,
    ProtocolStore,
    RecordPushStore,
    AuditStore,
    SmsStore,
    PrescriptionStore,
    ScheduleStore,
    ConsiliumStore,
    CheckInStore,
):
    """One object for the server's handlers; each concern lives in its own module."""


@asynccontextmanager
async def opened_records(settings: Settings) -> AsyncIterator[Records]:
    """The record store of a migrated database, for commands that run outside the server."""
    engine = create_engine(settings)
    try:
        await upgrade_async(settings.database_url)
        yield Records(engine)
    finally:
        await engine.dispose()

"""Racing clients: one person on two sockets sending the same thing at the same instant.

Each test runs on SQLite and on a real PostgreSQL: the guarantee is the database's (unique
partial indexes), so it holds across nodes sharing the database, not just in one process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_aiohttp import AiohttpServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clinic.db import upgrade
from clinic.domain import CallMode, ConsultationStatus, Reason
from harness.client import Party
from harness.servers import fresh_database
from tests.conftest import Platform, make_settings
from transcription.models import ModelPool
from web.app import create_app
from web.platform import PLATFORM

TRIES = 6


@pytest.fixture(params=["sqlite", "postgresql"])
async def platform_on(
    request: pytest.FixtureRequest,
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> AsyncIterator[Platform]:
    env: dict[str, str] = {}
    if request.param == "postgresql":
        env["TELEMED_DATABASE_URL"] = await fresh_database(request.getfixturevalue("postgres_url"))
    settings = make_settings(tmp_path / "data", **env)
    app = create_app(settings, models=model_pool)
    server = await aiohttp_server(app, host="127.0.0.1")
    yield Platform(server, app[PLATFORM].records, settings)


async def _connected(platform: Platform, auth: dict[str, str], n: int) -> list[Party]:
    parties = [Party(platform.url, auth) for _ in range(n)]
    await asyncio.gather(*(p.connect() for p in parties))
    return parties


async def test_a_doctor_on_two_sockets_takes_one_patient_at_a_time(platform_on: Platform) -> None:
    platform = platform_on
    doctor_id, key = await platform.doctor()
    sockets = await _connected(platform, {"key": key}, 2)
    try:
        for attempt in range(TRIES):
            waiting = []
            for i in range(2):
                patient_id, _ = await platform.patient(f"Пациент {attempt}-{i}")
                place = await platform.records.enqueue(
                    patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru"
                )
                waiting.append(place.id)
            replies = await asyncio.gather(
                *(
                    s.call("consultation.take", {"consultation_id": c})
                    for s, c in zip(sockets, waiting, strict=True)
                )
            )
            taken = [r for r in replies if r.get("ok")]
            assert len(taken) == 1, f"try {attempt}: {replies}"
            assert [r["code"] for r in replies if not r.get("ok")] == ["busy"]
            active = await platform.records.active_consultation_of_doctor(doctor_id)
            assert active is not None and active.id == taken[0]["consultation_id"]
            # The patient the doctor did not get is still waiting for someone else.
            other = next(c for c in waiting if c != active.id)
            still = await platform.records.consultation(other)
            assert still is not None and still.status == "waiting"
            assert await platform.records.finish(active.id, ConsultationStatus.ENDED)
            assert await platform.records.finish(other, ConsultationStatus.CANCELLED)
    finally:
        await asyncio.gather(*(s.close() for s in sockets))


async def test_a_patient_on_two_sockets_queues_once(platform_on: Platform) -> None:
    platform = platform_on
    for attempt in range(TRIES):
        patient_id, token = await platform.patient(f"Пациент {attempt}")
        sockets = await _connected(platform, {"session": token}, 2)
        try:
            replies = await asyncio.gather(*(s.call("queue.join", {}) for s in sockets))
        finally:
            await asyncio.gather(*(s.close() for s in sockets))
        assert all(r["ok"] for r in replies), replies
        assert len({r["consultation_id"] for r in replies}) == 1, f"try {attempt}: {replies}"
        places = [c.id for c, p in await platform.records.waiting() if p.id == patient_id]
        assert places == [replies[0]["consultation_id"]]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_the_migration_resolves_duplicates_left_by_the_race(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A database that already holds the race's leftovers still takes the unique indexes."""
    url = (
        f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
        if engine == "sqlite"
        else await fresh_database(request.getfixturevalue("postgres_url"))
    )
    await asyncio.to_thread(upgrade, url, "0009")
    db = create_async_engine(url)
    rows = [
        ("w-old", "p", None, "waiting", 1),
        ("w-new", "p", None, "waiting", 2),
        ("a-old", "q", "d", "active", 1),
        ("a-new", "r", "d", "active", 2),
    ]
    async with db.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO patients (id, full_name, phone, language, created_at) VALUES "
                "('p', 'P', '+7', 'ru', :at), ('q', 'Q', '+7', 'ru', :at),"
                " ('r', 'R', '+7', 'ru', :at)"
            ),
            {"at": datetime(2026, 1, 1, tzinfo=UTC)},
        )
        await connection.execute(
            text(
                "INSERT INTO doctors (id, full_name, specialty, access_key_hash, role, created_at)"
                " VALUES ('d', 'D', 'therapist', 'h', 'doctor', :at)"
            ),
            {"at": datetime(2026, 1, 1, tzinfo=UTC)},
        )
        for cid, patient, doctor, status, minute in rows:
            at = datetime(2026, 1, 1, 9, minute, tzinfo=UTC)
            await connection.execute(
                text(
                    "INSERT INTO consultations (id, patient_id, doctor_id, reason, mode, language,"
                    " status, queued_at, started_at, priority) VALUES (:id, :p, :d, 'respiratory',"
                    " 'audio', 'ru', :s, :at, :at, 0)"
                ),
                {"id": cid, "p": patient, "d": doctor, "s": status, "at": at},
            )
    await asyncio.to_thread(upgrade, url, "head")
    async with db.connect() as connection:
        statuses: dict[str, str] = dict(
            (await connection.execute(text("SELECT id, status FROM consultations"))).all()
        )
    await db.dispose()
    assert statuses == {
        "w-old": "cancelled",
        "w-new": "waiting",
        "a-old": "ended",
        "a-new": "active",
    }

"""The record store on both engines: SQLite (embedded) and a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from clinic.db import alembic_config, create_engine, upgrade_async
from clinic.domain import CallMode, ConsultationStatus, Reason, Segment, Speaker
from clinic.records import Conflict, Records
from clinic.store.sms import SmsNotice
from harness.servers import fresh_database
from tests.conftest import make_settings


@pytest.fixture(params=["sqlite", "postgresql"])
async def records(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Records]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'telemed.db'}"
    else:
        url = await fresh_database(request.getfixturevalue("postgres_url"))
    settings = make_settings(tmp_path, TELEMED_DATABASE_URL=url)
    await upgrade_async(settings.database_url)
    engine = create_engine(settings)
    yield Records(engine)
    await engine.dispose()


async def test_two_doctors_never_take_one_patient(records: Records) -> None:
    patient = await records.add_patient("Анна", "+70000000000")
    waiting = await records.enqueue(patient.id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    doctors = [(await records.add_doctor(f"Врач {i}", "therapist"))[0] for i in range(8)]
    taken = await asyncio.gather(*(records.take(d.id, None) for d in doctors))
    winners = [t for t in taken if t is not None]
    assert len(winners) == 1 and winners[0].id == waiting.id
    stored = await records.consultation(waiting.id)
    assert stored is not None and stored.status == ConsultationStatus.ACTIVE
    assert stored.doctor_id == winners[0].doctor_id


async def test_signing_versions_and_outbox_leases(records: Records) -> None:
    patient = await records.add_patient("Анна", "+70000000000")
    doctor, _ = await records.add_doctor("Врач", "therapist")
    consultation = await records.enqueue(patient.id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    await records.take(doctor.id, consultation.id)
    await records.add_segment(Segment(consultation.id, Speaker.PATIENT, 0.5, 1.5, "кашель", 0.9))
    assert await records.finish(consultation.id, ConsultationStatus.ENDED)
    await records.save_protocol(consultation.id, {"draft": True}, "<p>draft</p>")

    async def sign(based_on: int) -> str:
        row = await records.sign_protocol(
            protocol_id=str(uuid.uuid4()),
            consultation_id=consultation.id,
            based_on_version=based_on,
            doctor_id=doctor.id,
            signed_at=datetime.now(UTC),
            data={"signed": True},
            html="<p>signed</p>",
            pushes={"builtin": {"n": 1}, "fhir": {"n": 1}},
        )
        return row.id

    results = await asyncio.gather(sign(1), sign(1), return_exceptions=True)
    signed = [r for r in results if isinstance(r, str)]
    assert len(signed) == 1, "two signatures of one version"
    assert [type(r) for r in results if not isinstance(r, str)] == [Conflict]
    versions = await records.protocol_versions(consultation.id)
    assert [(v.version, v.status) for v in versions] == [(1, "draft"), (2, "signed")]

    # Two dispatchers polling at once: each entry goes to exactly one of them.
    first, second = await asyncio.gather(records.claim_outbox(60), records.claim_outbox(60))
    claimed = [e.id for e in first + second]
    assert sorted(claimed) == sorted(e.id for e in await records.outbox("pending"))
    assert len(claimed) == len(set(claimed)) == 2
    assert await records.claim_outbox(60) == []  # leased
    await records.outbox_sent(claimed[0], "ref")
    assert len(await records.outbox("sent")) == 1
    segments = await records.segments(consultation.id)
    assert [s.text for s in segments] == ["кашель"]


async def test_two_doctors_never_book_one_slot(records: Records) -> None:
    polyclinic = await records.add_organisation("polyclinic", "Поликлиника №7")
    start = datetime.now(UTC) + timedelta(days=1)
    slot, spare = await records.publish_slots(
        polyclinic.id, "Иванов И.И.", "therapist", [start, start + timedelta(hours=1)]
    )
    patients = [
        await records.add_patient(f"Пациент {i}", "+7999", polyclinic_id=polyclinic.id)
        for i in range(8)
    ]
    notices = [
        SmsNotice("+7999", "booked", "appointment_booked", p.id, f"book:{p.id}") for p in patients
    ]
    results = await asyncio.gather(
        *(
            records.book_slot(
                slot.id, p.id, consultation_id=None, booked_by=f"doctor-{i}", notice=notices[i]
            )
            for i, p in enumerate(patients)
        )
    )
    assert sorted(results) == [False] * 7 + [True]
    winner = patients[results.index(True)]
    stored = await records.slot(slot.id)
    assert stored is not None and stored.patient_id == winner.id
    # Only the winner's SMS was queued: a lost booking tells nobody it succeeded.
    assert [m.patient_id for m in await records.sms_log()] == [winner.id]

    # Two patients moving onto one free slot at once: one moves, the other keeps theirs.
    assert await records.cancel_booking(slot.id, winner.id)
    first, second = patients[:2]
    assert await records.book_slot(slot.id, first.id, consultation_id=None, booked_by="d")
    (third_slot,) = await records.publish_slots(
        polyclinic.id, "Иванов И.И.", "therapist", [start + timedelta(hours=2)]
    )
    assert await records.book_slot(third_slot.id, second.id, consultation_id=None, booked_by="d")
    moved = await asyncio.gather(
        records.move_booking(slot.id, spare.id, first.id, booked_by="p1"),
        records.move_booking(third_slot.id, spare.id, second.id, booked_by="p2"),
    )
    assert sorted(moved) == [False, True]
    holders = {s.id: s.patient_id for s in await records.slots_of(polyclinic.id, start)}
    assert holders[spare.id] in (first.id, second.id)
    assert sorted(p for p in holders.values() if p) == sorted([first.id, second.id])


async def test_moments_keep_their_meaning_whatever_offset_they_came_with(records: Records) -> None:
    polyclinic = await records.add_organisation("polyclinic", "Поликлиника №8")
    moscow = timezone(timedelta(hours=3))
    nine_in_moscow = datetime(2030, 12, 1, 9, 0, tzinfo=moscow)
    slot, later = await records.publish_slots(
        polyclinic.id,
        "Иванов И.И.",
        "therapist",
        [nine_in_moscow, datetime(2030, 12, 1, 7, 0, tzinfo=UTC)],
    )
    stored = await records.slot(slot.id)
    assert stored is not None and stored.starts_at == nine_in_moscow
    assert stored.starts_at.utcoffset() == timedelta(0)
    # Compared as moments, not as text: 09:00 in Moscow is 06:00 UTC, before 07:00 UTC.
    free = await records.free_slots(polyclinic.id, datetime(2030, 12, 1, 9, 30, tzinfo=moscow))
    assert [s.id for s in free] == [later.id]


async def test_nodes_starting_together_migrate_once(postgres_url: str, tmp_path: Path) -> None:
    url = await fresh_database(postgres_url)
    # Separate processes, as nodes are (Alembic's context is global to a process).
    runs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "web.cli",
            "db",
            "upgrade",
            cwd=Path(__file__).parent.parent,
            env={**os.environ, "TELEMED_DATABASE_URL": url, "TELEMED_DATA_DIR": str(tmp_path)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    outputs = [(await run.communicate())[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    engine = create_async_engine(url)
    async with engine.connect() as connection:
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    await engine.dispose()
    # The newest migration, whichever it is: this test is about migrating once, not a number.
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert version == head and head is not None

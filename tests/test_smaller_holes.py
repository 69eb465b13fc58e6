"""The smaller holes of issue #16: codes kept readable, no per-login lockout, open metrics,
refusals that name no patient and socket entries with no address, and a link lifetime
taken from whoever ran the command instead of the server."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from pytest_aiohttp import AiohttpServer
from sqlalchemy import select, update

from clinic.db import sessionmaker
from clinic.domain import CallMode, ConsultationStatus, Reason
from clinic.tables import Invitation, SmsMessage
from clinic.time import now
from harness.client import Party
from protocol_writer.service import ProtocolService
from tests.conftest import Platform, make_settings
from transcription.models import ModelPool
from web.app import create_app
from web.platform import PLATFORM

JSON = {"Content-Type": "application/json"}


async def post(url: str, body: Any) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
        return response.status, await response.json()


async def test_sign_in_codes_are_sent_but_never_stored_readable(platform: Platform) -> None:
    _, token = await platform.invited()
    base = f"{platform.url}api/join/{token}"
    status, sent = await post(f"{base}/otp", {})
    assert status == 200
    async with sessionmaker(platform.records.engine)() as session:
        stored = (await session.scalars(select(SmsMessage.text))).all()
    assert len(stored) == 1 and not re.search(r"\d{6}", stored[0]), stored
    # The SMS itself carried the code: the development transport keeps what it "sent".
    ((_, text),) = platform.server.app[PLATFORM].messenger.transport.sent  # type: ignore[attr-defined]
    code = re.search(r"\d{6}", text).group()  # type: ignore[union-attr]
    status, _ = await post(f"{base}/session", {"challenge_id": sent["challenge_id"], "code": code})
    assert status == 200


async def test_a_doctors_login_locks_after_five_wrong_passwords(platform: Platform) -> None:
    await platform.doctor("Ирина Петровна", login="irina", password="correct horse")
    url = f"{platform.url}api/sessions/doctor"
    answers = [await post(url, {"login": "irina", "password": f"guess {i}"}) for i in range(6)]
    assert [b["error"] for _, b in answers[:4]] == ["wrong_password"] * 4
    assert [(s, b["error"]) for s, b in answers[4:]] == [(403, "account_locked")] * 2
    assert "15 minutes" in answers[5][1]["message"]
    # Locked means locked: the right password waits too. Another address does not help
    # (the lock is the login's, not the address's).
    status, body = await post(url, {"login": "irina", "password": "correct horse"})
    assert (status, body["error"]) == (403, "account_locked")
    # A login that does not exist locks the same way: the lock tells nobody it exists.
    unknown = [await post(url, {"login": "nobody", "password": "x"}) for _ in range(5)]
    assert unknown[-1][1]["error"] == "account_locked"
    # Another doctor is not affected.
    await platform.doctor("Другой", login="other", password="secret")
    assert (await post(url, {"login": "other", "password": "secret"}))[0] == 200


async def test_metrics_need_the_token(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> None:
    settings = make_settings(tmp_path / "data", TELEMED_METRICS_TOKEN="scrape-me")
    app = create_app(settings, models=model_pool)
    server = await aiohttp_server(app, host="127.0.0.1")
    url = str(server.make_url("/metrics"))
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-me"}):
            async with http.get(url, headers=headers) as response:
                assert response.status == 401, headers
                assert response.headers["Cache-Control"] == "no-store"
        async with http.get(url, headers={"Authorization": "Bearer scrape-me"}) as response:
            assert response.status == 200
            assert "telemed_queue_oldest_wait_seconds" in await response.text()


async def test_without_a_token_metrics_answer_only_this_machine(platform: Platform) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{platform.url}metrics") as response:
            assert response.status == 200  # a scraper on the node itself
        # Through a proxy, everyone would be "this machine": refused.
        async with http.get(
            f"{platform.url}metrics", headers={"X-Forwarded-For": "203.0.113.9"}
        ) as response:
            assert response.status == 404


async def test_refusals_name_the_patient_and_sockets_their_address(platform: Platform) -> None:
    records = platform.records
    patient_id, token = await platform.patient()
    doctor_id, _ = await platform.doctor()
    _, stranger_key = await platform.doctor("Чужой Врач")
    consultation = await records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    await records.take(doctor_id, consultation.id)
    stranger = Party(platform.url, {"key": stranger_key})
    await stranger.connect()
    try:
        reply = await stranger.call("hangup", {"consultation_id": consultation.id})
        assert reply["code"] == "not_found"
    finally:
        await stranger.close()
    await records.finish(consultation.id, ConsultationStatus.ENDED)
    await ProtocolService(records).draft(consultation.id)
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{platform.url}api/consultations/{consultation.id}/protocol",
            headers={"Authorization": f"Bearer {stranger_key}"},
        ) as response,
    ):
        assert response.status == 404
    refused = [a for a in await records.audit_entries(patient_id) if a.outcome == "refused"]
    assert {a.action for a in refused} == {"consultation.access", "protocol.read"}
    assert all(a.source == "127.0.0.1" for a in refused), [a.source for a in refused]
    # The patient sees the attempts on their card.
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{platform.url}api/patients/{patient_id}/audit",
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        entries = (await response.json())["entries"]
    assert {(e["action"], e["actor_name"]) for e in entries if e["outcome"] == "refused"} == {
        ("consultation.access", "Чужой Врач"),
        ("protocol.read", "Чужой Врач"),
    }


async def test_a_links_lifetime_is_the_servers(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> None:
    """`telemed invite` run with a longer TELEMED_INVITATION_TTL_S than the server's."""
    settings = make_settings(tmp_path / "data", TELEMED_INVITATION_TTL_S="3600")
    app = create_app(settings, models=model_pool)
    server = await aiohttp_server(app, host="127.0.0.1")
    records = app[PLATFORM].records
    patient = await records.add_patient("Анна", "+79990000000")
    token = await records.invite(patient.id, Reason.RESPIRATORY, ttl_s=30 * 24 * 3600)
    async with sessionmaker(records.engine)() as session, session.begin():
        await session.execute(update(Invitation).values(created_at=now() - timedelta(hours=2)))
    status, body = await post(str(server.make_url(f"/api/join/{token}/otp")), {})
    assert (status, body["error"]) == (403, "invalid_link")

"""Liveness, readiness, metrics, and draining before a restart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
from pytest_aiohttp import AiohttpServer

from harness.client import Party
from harness.servers import postgres
from tests.conftest import Platform, make_settings
from transcription.models import ModelPool
from web.app import create_app, drain
from web.platform import PLATFORM


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_metrics_readiness_and_drain(platform: Platform) -> None:
    assert await get(f"{platform.url}healthz") == (200, '{"status": "ok"}')
    assert (await get(f"{platform.url}readyz"))[0] == 200
    _, token = await platform.patient()
    _, key = await platform.doctor()
    patient = Party(platform.url, {"session": token})
    doctor = Party(platform.url, {"role": "doctor", "key": key})
    try:
        await patient.connect()
        await patient.call("queue.join", {"reason": "consilium"})
        status, text = await get(f"{platform.url}metrics")
        assert status == 200
        assert 'telemed_queue_length{reason="consilium"} 1.0' in text
        assert "telemed_consultations_active 0.0" in text
        assert "telemed_draining 0.0" in text

        await drain(platform.server.app, timeout_s=1)
        await doctor.connect()
        reply = await doctor.call("consultation.take", {})
        assert reply["code"] == "draining"
        status, text = await get(f"{platform.url}readyz")
        assert (status, text) == (503, '{"status": "draining"}')
        _, text = await get(f"{platform.url}metrics")
        assert "telemed_draining 1.0" in text
        assert 'telemed_queue_length{reason="consilium"} 1.0' in text, "nobody left the queue"
    finally:
        await patient.close()
        await doctor.close()


async def test_each_party_gets_turn_credentials_that_expire(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> None:
    settings = make_settings(
        tmp_path / "data",
        TELEMED_TURN_URLS="turn:turn.example:3478",
        TELEMED_TURN_SECRET="shared-with-coturn",
        TELEMED_TURN_TTL_S="600",
    )
    app = create_app(settings, models=model_pool)
    server = await aiohttp_server(app, host="127.0.0.1")
    platform = Platform(server, app[PLATFORM].records, settings)
    assert platform.sign_in is app[PLATFORM].sign_in
    _, session = await platform.patient()
    _, key = await platform.doctor()
    patient = Party(platform.url, {"session": session})
    doctor = Party(platform.url, {"key": key})
    try:
        await patient.connect()
        await patient.call("queue.join", {})
        await doctor.connect()
        await doctor.call("consultation.take", {})
        turns = [
            (await party.next("consultation.started"))["ice_servers"][-1]
            for party in (patient, doctor)
        ]
    finally:
        await patient.close()
        await doctor.close()
    assert turns[0]["username"] != turns[1]["username"]
    for turn in turns:
        expiry = int(turn["username"].split(":")[0])
        assert 590 <= expiry - time.time() <= 600
        expected = base64.b64encode(
            hmac.new(b"shared-with-coturn", turn["username"].encode(), hashlib.sha1).digest()
        ).decode()
        assert turn["credential"] == expected and turn["urls"] == ["turn:turn.example:3478"]


async def test_readiness_reports_a_database_that_went_away(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> None:
    with postgres() as url:
        settings = make_settings(tmp_path / "data", TELEMED_DATABASE_URL=url)
        server = await aiohttp_server(create_app(settings, models=model_pool), host="127.0.0.1")
        assert (await get(f"{server.make_url('/')}readyz"))[0] == 200
    # The server process is gone now: the node must say it is not ready, not crash.
    status, text = await get(f"{server.make_url('/')}readyz")
    assert status == 503 and "database unavailable" in text
    assert (await get(f"{server.make_url('/')}healthz"))[0] == 200


def test_processes_starting_together_share_one_generated_secret(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: make_settings(data).secret_key, range(8)))
    assert len(set(keys)) == 1 and len(keys[0]) >= 40
    assert [p.name for p in data.iterdir()] == ["secret_key"]  # no drafts left behind
    assert (data / "secret_key").stat().st_mode & 0o777 == 0o600

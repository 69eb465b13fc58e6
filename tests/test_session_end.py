"""A session ends everywhere at once: signed out by cookie or bearer, or past its lifetime,
its token opens nothing and every socket opened with it is closed, on every node."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiortc.mediastreams import AudioStreamTrack
from pytest_aiohttp import AiohttpServer

from clinic.domain import Speaker
from harness.client import Party, local_peer
from harness.servers import redis_server
from media.gateway import SideEnded
from tests.conftest import Platform, make_settings
from transcription.models import ModelPool
from web.app import create_app
from web.platform import PLATFORM

JSON = {"Content-Type": "application/json"}


async def disconnected(party: Party, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while party.sio.connected:
        if loop.time() > deadline:
            raise AssertionError("the socket outlived its session")
        await asyncio.sleep(0.05)


async def sign_out(url: str, token: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}api/sign-out", json={}, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        return response.status


async def test_bearer_sign_out_revokes_the_session_and_its_sockets(platform: Platform) -> None:
    patient_id, token = await platform.patient()
    socket = Party(platform.url, {"session": token})
    await socket.connect()
    try:
        assert await sign_out(platform.url, token) == 200
        await disconnected(socket)
        assert socket.events["session.ended"] == [{"reason": "signed_out"}]
    finally:
        await socket.close()
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            f"{platform.url}api/patients/{patient_id}/protocols",
            headers={"Authorization": f"Bearer {token}"},
        ) as response,
    ):
        assert response.status == 401
    with pytest.raises(socketio.exceptions.ConnectionError):
        await Party(platform.url, {"session": token}).connect()


async def test_a_socket_closes_when_its_session_expires(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> None:
    settings = make_settings(tmp_path / "data", TELEMED_SESSION_TTL_S="2")
    app = create_app(settings, models=model_pool)
    platform = Platform(
        await aiohttp_server(app, host="127.0.0.1"), app[PLATFORM].records, settings
    )
    _, token = await platform.patient()
    socket = Party(platform.url, {"session": token})
    await socket.connect()
    try:
        assert (await socket.call("queue.join", {}))["ok"]
        await disconnected(socket, timeout=6)
        assert socket.events["session.ended"] == [{"reason": "expired"}]
    finally:
        await socket.close()


@pytest.fixture
def redis() -> Iterator[str]:
    with redis_server() as (url, _):
        yield url


async def test_sign_out_on_one_node_closes_the_socket_on_another(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
    redis: str,
) -> None:
    """Two nodes sharing a database and Redis, as `telemed cluster` runs them."""
    env = {
        "TELEMED_REDIS_URL": redis,
        "TELEMED_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}",
    }
    nodes = []
    for name in ("a", "b"):
        settings = make_settings(tmp_path / name, **env)
        app = create_app(settings, models=model_pool)
        nodes.append(
            Platform(await aiohttp_server(app, host="127.0.0.1"), app[PLATFORM].records, settings)
        )
    a, b = nodes
    _, token = await a.patient()
    socket = Party(b.url, {"session": token})
    await socket.connect()
    try:
        assert await sign_out(a.url, token) == 200
        await disconnected(socket)
    finally:
        await socket.close()


async def test_a_signed_out_socket_can_do_nothing_more(platform: Platform) -> None:
    """Even before the close reaches it, an event on a dead session is refused."""
    patient_id, token = await platform.patient()
    socket = Party(platform.url, {"session": token})
    await socket.connect()
    try:
        await platform.sign_in.sign_out(token)  # the record only: no node was told
        reply = await socket.call("queue.join", {})
        assert reply["ok"] is False and reply["code"] == "unauthorized"
        await disconnected(socket)
    finally:
        await socket.close()
    assert await platform.records.open_consultation_of(patient_id) is None


@contextlib.asynccontextmanager
async def offer_being_applied(
    platform: Platform, consultation_id: str
) -> AsyncIterator[asyncio.Task[Any]]:
    """A browser's offer handed to the worker, which has begun applying it."""
    media = platform.server.app[PLATFORM].media
    browser = local_peer()
    browser.addTrack(AudioStreamTrack())
    try:
        await browser.setLocalDescription(await browser.createOffer())
        answering = asyncio.create_task(
            media.answer(
                consultation_id, Speaker.PATIENT, "ru", time.time(), browser.localDescription.sdp
            )
        )
        await asyncio.sleep(0)
        yield answering
    finally:
        await browser.close()
        await media.end(consultation_id)


async def test_a_hang_up_while_the_worker_sets_a_side_up_closes_that_side(
    platform: Platform,
) -> None:
    """The side used to be registered only once set up, so an `end` meanwhile missed it and
    it outlived its consultation, holding its sockets and its pooled recogniser."""
    media = platform.server.app[PLATFORM].media
    async with offer_being_applied(platform, "ended-early") as answering:
        await media.end("ended-early")
        with pytest.raises(SideEnded):
            await answering
        assert media.active_legs == 0


async def test_a_candidate_trickled_while_the_offer_is_applied_is_kept(
    platform: Platform,
) -> None:
    media = platform.server.app[PLATFORM].media
    async with offer_being_applied(platform, "trickle") as answering:
        candidate = {
            "candidate": "candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
        }
        await media.add_ice_candidate("trickle", Speaker.PATIENT, candidate)
        assert (await answering).type == "answer"

"""Socket payloads a hostile client sends: each gets an acknowledgement with a clear code."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pytest_aiohttp import AiohttpServer

from harness.client import Party
from tests.conftest import Platform, make_settings
from transcription.models import ModelPool
from web.app import create_app
from web.platform import PLATFORM

SURROGATE = "\ud800"


async def test_malformed_payloads_are_answered_bad_payload(platform: Platform) -> None:
    _, token = await platform.patient()
    _, key = await platform.doctor()
    patient = Party(platform.url, {"session": token})
    doctor = Party(platform.url, {"key": key})
    await patient.connect()
    await doctor.connect()
    try:
        for payload in (None, [1, 2], 5, "x", {"unknown": 1}):
            reply = await doctor.call("queue.list", payload)
            if payload is None:  # no payload at all: queue.list has no fields
                assert reply["ok"] is True
                continue
            assert reply["ok"] is False and reply["code"] == "bad_payload", (payload, reply)
        # An explicit JSON null (a one-element tuple is how python-socketio sends one).
        reply = await doctor.sio.call("queue.list", (None,), timeout=10)
        assert reply["ok"] is False and reply["code"] == "bad_payload", reply
        reply = await doctor.sio.call("queue.list", ({}, {}), timeout=10)
        assert reply["ok"] is False and reply["code"] == "bad_payload", reply
        for event in ("offer", "answer", "ice", "hangup"):
            body = {"consultation_id": SURROGATE, "target": "peer", "sdp": "v=0", "candidate": {}}
            if event == "hangup":
                body = {"consultation_id": SURROGATE}
            reply = await patient.call(event, body)
            assert reply["ok"] is False and reply["code"] == "bad_payload", (event, reply)
        assert (await doctor.call("consultation.take", {"consultation_id": 5}))[
            "code"
        ] == "bad_payload"
        assert (await patient.call("queue.join", {"mode": "audio", "reason": 1e999}))[
            "code"
        ] == "bad_payload"
        # Nested far past any stack: socket.io cannot even decode it, and still answers.
        reply = await _send_deep(patient, 50_000)
        assert reply == {
            "ok": False,
            "code": "bad_payload",
            "message": "the payload is not readable JSON",
        }
        reply = await patient.call("no.such.event", {})
        assert reply["ok"] is False and reply["code"] == "unknown_event"
        # socket.io's own event names, sent as events: no re-authentication, a clear answer
        # (with no arguments, "connect" once raised a TypeError in the server, unanswered).
        sent: tuple[tuple[object, ...], ...] = ((), ({},), ({}, {"session": token}))
        for args in sent:
            reply = await patient.sio.call("connect", args, timeout=10)
            assert reply == {"ok": False, "code": "unknown_event", "message": "no such event"}
        # After all that the server goes on serving.
        assert (await patient.call("queue.join", {}))["ok"] is True
    finally:
        await patient.close()
        await doctor.close()


async def _send_deep(party: Party, depth: int) -> object:
    """A `hangup` whose payload is JSON nested `depth` deep, written as raw socket.io text
    (the Python client's own encoder would refuse to build it)."""
    eio = party.sio.eio
    loop = asyncio.get_running_loop()
    reply: asyncio.Future[object] = loop.create_future()
    ack_id = 987654
    party.sio.callbacks.setdefault("/", {})[ack_id] = lambda *a: reply.set_result(
        a[0] if a else None
    )
    await eio.send(f'2{ack_id}["hangup",' + "[" * depth + "]" * depth + "]")
    return await asyncio.wait_for(reply, 10)


async def test_a_flooding_socket_is_rate_limited(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> None:
    settings = make_settings(
        tmp_path / "data", TELEMED_SOCKET_BURST="10", TELEMED_SOCKET_MESSAGES_PER_S="1"
    )
    app = create_app(settings, models=model_pool)
    platform = Platform(
        await aiohttp_server(app, host="127.0.0.1"), app[PLATFORM].records, settings
    )
    _, key = await platform.doctor()
    doctor = Party(platform.url, {"key": key})
    await doctor.connect()
    try:
        replies = await asyncio.gather(*(doctor.call("queue.list", {}) for _ in range(30)))
        codes = [r.get("code") for r in replies if not r["ok"]]
        assert 15 <= len(codes) <= 20 and set(codes) == {"rate_limited"}, replies
        await asyncio.sleep(1.5)  # the budget refills
        assert (await doctor.call("queue.list", {}))["ok"] is True
    finally:
        await doctor.close()

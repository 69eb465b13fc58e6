"""Signing in like an attacker would try it: reused and expired links, guessed codes,
replayed cookies, cross-site forms, floods; and the SMS really leaving over HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pyotp
import pytest
import socketio
from aiohttp import web
from pytest_aiohttp import AiohttpServer
from sqlalchemy import select

from clinic.db import sessionmaker
from clinic.domain import Reason
from clinic.tables import Doctor
from harness.client import Party
from tests.conftest import Platform, make_settings
from transcription.models import ModelPool
from web.app import create_app
from web.platform import PLATFORM

JSON = {"Content-Type": "application/json"}


async def sent_codes(platform: Platform) -> list[str]:
    """The codes the development transport "sent" (the record keeps them masked)."""
    sent = platform.server.app[PLATFORM].messenger.transport.sent  # type: ignore[attr-defined]
    return [m.group() for _, t in sent if (m := re.search(r"\d{6}", t))]


async def post(
    http: aiohttp.ClientSession, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    async with http.post(url, json=body if body is not None else {}, headers=headers) as response:
        return response.status, await response.json()


async def test_a_link_opens_once_with_the_code_from_the_sms(platform: Platform) -> None:
    _, token = await platform.invited()
    base = f"{platform.url}api/join/{token}"
    # unsafe: the cookie jar would otherwise ignore cookies from a bare IP address.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        status, sent = await post(http, f"{base}/otp")
        assert status == 200 and sent["sent"] and sent["attempts_left"] == 5
        assert set(sent) == {
            "challenge_id",
            "phone_ending",
            "sent",
            "attempts_left",
            "retry_after_s",
        }
        code = (await sent_codes(platform))[-1]
        assert code not in str(sent)
        status, who = await post(
            http, f"{base}/session", {"challenge_id": sent["challenge_id"], "code": code}
        )
        assert status == 200 and who["role"] == "patient"
        cookie = http.cookie_jar.filter_cookies(platform.server.make_url("/"))["telemed_session"]
        async with http.get(f"{platform.url}api/me") as response:
            assert response.status == 200
        # The link is spent: a new code cannot be asked for, the old one not used again.
        assert (await post(http, f"{base}/otp"))[1]["error"] == "invalid_link"
        status, body = await post(
            http, f"{base}/session", {"challenge_id": sent["challenge_id"], "code": code}
        )
        assert (status, body["error"]) == (403, "invalid_link")

        # Signing out ends the session; the same cookie replayed opens nothing.
        status, _ = await post(http, f"{platform.url}api/sign-out")
        assert status == 200
    async with (
        aiohttp.ClientSession(cookies={"telemed_session": cookie.value}) as replay,
        replay.get(f"{platform.url}api/me") as response,
    ):
        assert response.status == 401
    with pytest.raises(socketio.exceptions.ConnectionError):
        await Party(platform.url, {"session": cookie.value}).connect()


async def test_guessing_the_code_locks_it(platform: Platform) -> None:
    _, token = await platform.invited()
    base = f"{platform.url}api/join/{token}"
    async with aiohttp.ClientSession() as http:
        _, sent = await post(http, f"{base}/otp")
        right = (await sent_codes(platform))[-1]
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        answers = [
            await post(
                http, f"{base}/session", {"challenge_id": sent["challenge_id"], "code": wrong}
            )
            for _ in range(5)
        ]
        assert [b["error"] for _, b in answers] == ["wrong_code"] * 4 + ["locked"]
        status, body = await post(
            http, f"{base}/session", {"challenge_id": sent["challenge_id"], "code": right}
        )
        assert (status, body["error"]) == (403, "locked"), "the right code after the lock"
        # A fresh code still works, twice more; then the link must wait.
        assert (await post(http, f"{base}/otp"))[0] == 200
        assert (await post(http, f"{base}/otp", {"resend": True}))[0] == 200
        status, body = await post(http, f"{base}/otp", {"resend": True})
        assert (status, body["error"]) == (429, "too_many_codes")
    refusals = [
        a.detail
        for a in await platform.records.audit_entries()
        if a.action == "sign_in" and a.outcome == "refused"
    ]
    assert refusals.count("wrong_code") == 4 and refusals.count("locked") == 2


async def test_opening_the_link_again_sends_no_new_code_and_old_codes_still_work(
    platform: Platform,
) -> None:
    """A reload asks for no SMS; a refused resend leaves the codes on the phone working."""
    _, token = await platform.invited()
    base = f"{platform.url}api/join/{token}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        _, first = await post(http, f"{base}/otp")
        for _ in range(4):  # the patient reloads the page
            status, again = await post(http, f"{base}/otp")
            assert status == 200 and not again["sent"]
            assert again["challenge_id"] == first["challenge_id"]
        assert len(await sent_codes(platform)) == 1
        on_phone = (await sent_codes(platform))[0]

        wrong = f"{(int(on_phone) + 1) % 10**6:06d}"
        status, body = await post(
            http, f"{base}/session", {"challenge_id": first["challenge_id"], "code": wrong}
        )
        assert (status, body["error"], body["attempts_left"]) == (403, "wrong_code", 4)

        _, second = await post(http, f"{base}/otp", {"resend": True})
        assert second["sent"] and second["retry_after_s"] == 0
        status, third = await post(http, f"{base}/otp", {"resend": True})
        # The third code of the window: the page says how long until a fourth may be asked for.
        assert status == 200 and 14 * 60 < third["retry_after_s"] <= 15 * 60
        status, refused = await post(http, f"{base}/otp", {"resend": True})
        assert (status, refused["error"]) == (429, "too_many_codes")
        assert refused["challenge_id"] == third["challenge_id"] and refused["retry_after_s"] > 0
        assert len(await sent_codes(platform)) == 3

        # The first SMS's code still opens the link, named with the latest challenge.
        status, who = await post(
            http, f"{base}/session", {"challenge_id": refused["challenge_id"], "code": on_phone}
        )
        assert status == 200 and who["role"] == "patient"


async def test_guesses_across_open_codes_count_once_for_all(platform: Platform) -> None:
    """Several open codes do not multiply the guesses: every attempt counts on each."""
    _, token = await platform.invited()
    base = f"{platform.url}api/join/{token}"
    async with aiohttp.ClientSession() as http:
        _, first = await post(http, f"{base}/otp")
        await post(http, f"{base}/otp", {"resend": True})
        codes = await sent_codes(platform)
        wrong = next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in codes)
        answers = [
            (
                await post(
                    http, f"{base}/session", {"challenge_id": first["challenge_id"], "code": wrong}
                )
            )[1]
            for _ in range(5)
        ]
        assert [a["attempts_left"] for a in answers] == [4, 3, 2, 1, 0]
        assert answers[-1]["error"] == "locked"
        status, body = await post(
            http, f"{base}/session", {"challenge_id": first["challenge_id"], "code": codes[0]}
        )
        assert (status, body["error"]) == (403, "locked")


async def test_expired_unknown_and_cross_site_requests_are_refused(platform: Platform) -> None:
    patient = await platform.records.add_patient("Анна", "+70000000000")
    expired = await platform.records.invite(patient.id, Reason.RESPIRATORY, ttl_s=-1)
    async with aiohttp.ClientSession() as http:
        for token in (expired, "no-such-link"):
            status, body = await post(http, f"{platform.url}api/join/{token}/otp")
            assert (status, body["error"]) == (403, "invalid_link")
        # A form another site could submit is not JSON: refused before anything happens.
        _, token = await platform.invited()
        async with http.post(f"{platform.url}api/join/{token}/otp", data={"x": "1"}) as response:
            assert response.status == 415
        assert await sent_codes(platform) == []


async def test_floods_from_one_address_are_limited(platform: Platform) -> None:
    async with aiohttp.ClientSession() as http:
        statuses = [(await post(http, f"{platform.url}api/join/nothing/otp"))[0] for _ in range(25)]
    assert statuses[:20] == [403] * 20 and set(statuses[20:]) == {429}


async def test_the_code_leaves_through_an_sms_operator_over_http(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> None:
    received: list[dict[str, Any]] = []

    async def operator(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer operator-secret"
        received.append(await request.json())
        return web.json_response({"id": "m1"})

    sms_app = web.Application()
    sms_app.router.add_post("/send", operator)
    sms_server = await aiohttp_server(sms_app, host="127.0.0.1")
    settings = make_settings(
        tmp_path / "data",
        TELEMED_SMS_URL=str(sms_server.make_url("/send")),
        TELEMED_SMS_TOKEN="operator-secret",
    )
    app = create_app(settings, models=model_pool)
    server = await aiohttp_server(app, host="127.0.0.1")
    patient = await app[PLATFORM].records.add_patient("Анна", "+79991234567")
    token = await app[PLATFORM].records.invite(patient.id, Reason.RESPIRATORY, 3600)
    url = f"{server.make_url('/')}api/join/{token}/otp"
    async with aiohttp.ClientSession() as http:
        status, first = await post(http, url)
    assert status == 200
    assert len(received) == 1 and received[0]["to"] == "+79991234567"
    assert re.search(r"\d{6}", received[0]["text"])
    await sms_server.close()  # the operator goes down: the patient is told, not left waiting
    async with aiohttp.ClientSession() as http:
        status, body = await post(http, url, {"resend": True})
        assert (status, body["error"]) == (502, "sms_failed")
        # The code that never left is not the one a reload offers: the first one is.
        status, body = await post(http, url)
    assert status == 200 and body["challenge_id"] == first["challenge_id"]


async def test_doctors_sign_in_with_an_argon2_checked_password(platform: Platform) -> None:
    doctor_id, _ = await platform.doctor(login="irina", password="correct horse battery")
    url = f"{platform.url}api/sessions/doctor"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for login, password in (("irina", "wrong password"), ("nobody", "correct horse battery")):
            status, body = await post(http, url, {"login": login, "password": password})
            assert (status, body["error"]) == (403, "wrong_password")
        async with http.get(f"{platform.url}api/me") as response:
            assert response.status == 401
        status, body = await post(
            http, url, {"login": "irina", "password": "correct horse battery"}
        )
        assert status == 200 and body["role"] == "doctor"
        async with http.get(f"{platform.url}api/me") as response:
            assert (await response.json())["id"] == doctor_id
    async with sessionmaker(platform.records.engine)() as session:
        stored = await session.scalar(select(Doctor.password_hash).where(Doctor.id == doctor_id))
    assert stored is not None and stored.startswith("$argon2") and "horse" not in stored
    refused = [
        a
        for a in await platform.records.audit_entries()
        if a.action == "sign_in.doctor" and a.outcome == "refused"
    ]
    assert len(refused) == 2


async def test_a_doctor_with_an_authenticator_needs_its_code(platform: Platform) -> None:
    secret = pyotp.random_base32()
    await platform.doctor(login="oleg", password="correct horse battery", totp_secret=secret)
    url = f"{platform.url}api/sessions/doctor"
    credentials = {"login": "oleg", "password": "correct horse battery"}
    async with aiohttp.ClientSession() as http:
        assert (await post(http, url, credentials))[1]["error"] == "code_required"
        wrong = f"{(int(pyotp.TOTP(secret).now()) + 500_000) % 10**6:06d}"
        assert (await post(http, url, {**credentials, "code": wrong}))[1]["error"] == "wrong_code"
        status, body = await post(http, url, {**credentials, "code": pyotp.TOTP(secret).now()})
        assert status == 200 and body["role"] == "doctor"

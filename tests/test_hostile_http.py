"""HTTP requests a hostile page or client sends: other sites' forms, bodies no schema
allows, shapes that used to raise deep inside. Each gets a clear 4xx, never a 500."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import text

from clinic.domain import Role
from tests.conftest import Platform
from tests.test_record_push import ended_consultation

DEEP = b"[" * 100_000 + b"]" * 100_000
SURROGATE = '"\\ud800"'  # JSON text for a lone surrogate


async def send(
    method: str, url: str, data: bytes | str, headers: dict[str, str]
) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, data=data, headers=headers) as response,
    ):
        body = await response.json(content_type=None) if response.content_length != 0 else {}
        return response.status, body, dict(response.headers)


async def _staff_and_patient(platform: Platform) -> tuple[str, str]:
    records = platform.records
    centre = await records.add_organisation("oncology_centre", "Онкоцентр")
    patient = await records.add_patient("Мария", "+79990001122", oncology_centre_id=centre.id)
    _, key = await records.add_doctor(
        "Секретарь", "coordinator", role=Role.STAFF, organisation_id=centre.id
    )
    return f"{platform.url}api/patients/{patient.id}/consilium", key


async def test_only_json_from_our_own_origin_changes_anything(platform: Platform) -> None:
    url, key = await _staff_and_patient(platform)
    decision = '{"decided_on": "2026-11-20", "decision": "Продолжить лечение"}'
    bearer = {"Authorization": f"Bearer {key}"}
    json_type = {"Content-Type": "application/json"}
    # Any page may send text/plain or a form without asking: refused before anything runs.
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ):
        status, body, headers = await send(
            "POST", url, decision, {**bearer, "Content-Type": content_type}
        )
        assert (status, body["error"]) == (415, "json_only")
        assert headers["Cache-Control"] == "no-store" and "Content-Security-Policy" in headers
    # Another site, a sibling subdomain, or a browser saying it is not our page: refused.
    host = platform.url.split("//")[1].rstrip("/")
    for foreign in (
        {"Origin": "https://evil.example"},
        {"Origin": f"http://x.{host}"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site", "Origin": platform.url.rstrip("/")},
    ):
        status, body, _ = await send("POST", url, decision, {**bearer, **json_type, **foreign})
        assert (status, body["error"]) == (403, "bad_origin"), foreign
    assert await platform.records.sms_log() == []
    # Our own page, and a program with its token and no Origin, are served.
    status, _, _ = await send(
        "POST",
        url,
        decision,
        {
            **bearer,
            **json_type,
            "Origin": platform.url.rstrip("/"),
            "Sec-Fetch-Site": "same-origin",
        },
    )
    assert status == 201
    assert len(await platform.records.sms_log()) == 1


async def test_bad_shapes_get_clear_errors_not_500(platform: Platform) -> None:
    consultation_id, _token, key = await ended_consultation(platform, "ru07_words_numbers.txt")
    json_type = {"Content-Type": "application/json"}
    as_doctor = {**json_type, "Authorization": f"Bearer {key}"}
    # Nested 100,000 deep, at every route that takes a body, signed in or not.
    routes = [
        (r.method, r.resource.canonical)
        for r in platform.server.app.router.routes()
        if r.method in ("POST", "PUT")
        and r.resource is not None
        and r.resource.canonical.startswith("/api/")
    ]
    assert len(routes) >= 13
    for method, path in routes:
        url = platform.url.rstrip("/") + path.replace("{", "").replace("}", "")
        for headers in (json_type, as_doctor):
            status, body, _ = await send(method, url, DEEP, headers)
            assert status in (400, 401, 403, 404), (path, status, body)
            assert body["error"] and "Recursion" not in body.get("message", "")
    sign_in = f"{platform.url}api/sessions/doctor"
    status, body, _ = await send("POST", sign_in, DEEP, json_type)
    assert (status, body["error"]) == (400, "bad_request")
    status, body, _ = await send(
        "POST", sign_in, f'{{"login": {SURROGATE}, "password": "x"}}', json_type
    )
    assert (status, body["error"]) == (400, "bad_request")

    url = f"{platform.url}api/consultations/{consultation_id}/protocol"
    for bad in (
        '{"based_on_version": 1e999, "data": {}}',
        '{"based_on_version": "1", "data": {}}',
        f'{{"based_on_version": 1, "data": {{"reason": {SURROGATE}}}}}',
        '{"based_on_version": 1, "data": {"vitals": {"t": 1e999}}}',
        '{"based_on_version": 1, "data": {}, "extra": true}',
    ):
        status, body, _ = await send("PUT", url, bad, as_doctor)
        assert (status, body["error"]) == (400, "bad_request"), (bad, body)
        assert body["message"]
    status, body, _ = await send(
        "PUT", url, '{"based_on_version": 1, "data": {"recommendations": [{"text": 5}]}}', as_doctor
    )
    assert (status, body["error"]) == (422, "invalid_protocol")
    assert "recommendations.0.text" in body["message"]
    assert "Error" not in body["message"] and "__init__" not in body["message"]
    assert (await platform.records.latest_protocol(consultation_id)).status == "draft"  # type: ignore[union-attr]


async def test_errors_carry_the_security_headers(platform: Platform) -> None:
    patient_id, token = await platform.patient()
    # A fault the handlers do not expect: the database lost a table under them.
    async with platform.records.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE protocols RENAME TO protocols_gone"))
    for method, path, data, headers, expected in (
        ("GET", "api/me", "", {}, 401),
        ("POST", "api/sign-out", "{}", {"Content-Type": "text/plain"}, 415),
        (
            "GET",
            f"api/patients/{patient_id}/protocols",
            "",
            {"Authorization": f"Bearer {token}"},
            500,
        ),
    ):
        status, body, response_headers = await send(method, platform.url + path, data, headers)
        assert status == expected, (path, status, body)
        assert body["error"] and body["message"]
        assert response_headers["Cache-Control"] == "no-store", path
        assert "default-src 'self'" in response_headers["Content-Security-Policy"], path
        assert response_headers["X-Frame-Options"] == "DENY"
        assert "protocols" not in body["message"] and "sqlite" not in str(body).lower()

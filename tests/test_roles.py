"""Every route and event, for every role and relation: allowed or refused, and refusals
audited. A stranger's guess at an id gets 404 (not_found), never a hint that it exists."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from clinic.domain import CallMode, ConsultationStatus, Reason, Role
from protocol_writer.service import ProtocolService
from signaling.client import Party
from tests.conftest import Platform

ROLES = ("anonymous", "patient", "other_patient", "doctor", "other_doctor", "operator")

# (method, path, {role: expected status})
HTTP = [
    ("GET", "api/consultations/{c}/protocol",
     {"anonymous": 401, "patient": 200, "other_patient": 404, "doctor": 200,
      "other_doctor": 404, "operator": 404}),
    ("PUT", "api/consultations/{c}/protocol",  # a stale version: 409 proves access passed
     {"anonymous": 401, "patient": 403, "other_patient": 403, "doctor": 409,
      "other_doctor": 404, "operator": 403}),
    ("GET", "api/patients/{p}/protocols",
     {"anonymous": 401, "patient": 200, "other_patient": 404, "doctor": 200,
      "other_doctor": 404, "operator": 404}),
    ("GET", "api/patients/{p}/audit",
     {"anonymous": 401, "patient": 200, "other_patient": 404, "doctor": 404,
      "other_doctor": 404, "operator": 404}),
    ("GET", "api/audit",
     {"anonymous": 401, "patient": 403, "other_patient": 403, "doctor": 403,
      "other_doctor": 403, "operator": 200}),
    ("GET", "api/outbox",
     {"anonymous": 401, "patient": 403, "other_patient": 403, "doctor": 403,
      "other_doctor": 403, "operator": 200}),
    ("GET", "api/me",
     {"anonymous": 401, "patient": 200, "other_patient": 200, "doctor": 401,
      "other_doctor": 401, "operator": 401}),  # staff programs use keys, not sessions
]

# (event, payload, {role: expected ack code or "ok"})
EVENTS = [
    ("queue.list", {}, {"patient": "forbidden", "other_patient": "forbidden", "doctor": "ok",
                        "other_doctor": "ok", "operator": "forbidden"}),
    ("queue.join", {}, {"doctor": "forbidden", "other_doctor": "forbidden",
                        "operator": "forbidden"}),
    ("consultation.take", {"consultation_id": "{live}"},
     {"patient": "forbidden", "other_patient": "forbidden", "other_doctor": "not_found",
      "operator": "forbidden"}),
    ("offer", {"consultation_id": "{live}", "target": "peer", "sdp": "v=0", "type": "offer"},
     {"patient": "ok", "other_patient": "not_found", "doctor": "ok",
      "other_doctor": "not_found", "operator": "not_found"}),
    ("ice", {"consultation_id": "{live}", "target": "peer", "candidate": {"candidate": ""}},
     {"patient": "ok", "other_patient": "not_found", "doctor": "ok",
      "other_doctor": "not_found", "operator": "not_found"}),
    ("hangup", {"consultation_id": "{done}"},
     {"patient": "not_active", "other_patient": "not_found", "doctor": "not_active",
      "other_doctor": "not_found", "operator": "not_found"}),
]


@pytest.fixture
async def world(platform: Platform) -> dict[str, Any]:
    records = platform.records
    patient_id, patient_session = await platform.patient("Анна")
    _, other_session = await platform.patient("Пётр")
    doctor_id, doctor_key = await platform.doctor("Ирина")
    _, other_key = await platform.doctor("Олег")
    _, operator_key = await platform.doctor("Оператор", role=Role.OPERATOR)
    done = await records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    await records.take(doctor_id, done.id)
    await records.finish(done.id, ConsultationStatus.ENDED)
    service = ProtocolService(records)
    draft = await service.draft(done.id)
    await service.sign(done.id, doctor_id, draft.version, draft.data)
    live = await records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    await records.take(doctor_id, live.id)
    return {"patient_id": patient_id, "done": done.id, "live": live.id, "draft": draft.data,
            "secrets": {"patient": patient_session, "other_patient": other_session,
                        "doctor": doctor_key, "other_doctor": other_key,
                        "operator": operator_key}}


@pytest.mark.parametrize(("method", "path", "expected"), HTTP,
                         ids=[f"{m} {p}" for m, p, _ in HTTP])
async def test_routes(platform: Platform, world: dict[str, Any], method: str, path: str,
                      expected: dict[str, int]) -> None:
    url = platform.url + path.format(c=world["done"], p=world["patient_id"])
    async with aiohttp.ClientSession() as http:
        for role in ROLES:
            secret = world["secrets"].get(role)
            headers = {"Authorization": f"Bearer {secret}"} if secret else {}
            if role in ("patient", "other_patient") and path == "api/me":
                headers = {"Cookie": f"telemed_session={secret}"}
            body = {"based_on_version": 1, "data": world["draft"]} if method == "PUT" else None
            async with http.request(method, url, json=body, headers=headers) as response:
                assert response.status == expected[role], (role, await response.text())


@pytest.mark.parametrize(("event", "payload", "expected"), EVENTS, ids=[e for e, _, _ in EVENTS])
async def test_events(platform: Platform, world: dict[str, Any], event: str,
                      payload: dict[str, Any], expected: dict[str, str]) -> None:
    parties = {role: Party(platform.url, {"session": secret} if "patient" in role
                           else {"key": secret})
               for role, secret in world["secrets"].items()}
    try:
        for party in parties.values():
            await party.connect()
        for role, party in parties.items():
            if role not in expected:
                continue
            data = {k: (world[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v)
                    for k, v in payload.items()}
            reply = await party.call(event, data)
            assert (reply.get("code") or "ok") == expected[role], (role, reply)
    finally:
        for party in parties.values():
            await party.close()
    if "not_found" in expected.values():
        refused = [a for a in await platform.records.audit_entries()
                   if a.outcome == "refused"
                   and a.action in ("consultation.access", "consultation.take")]
        assert refused, "a stranger's attempt left no audit entry"

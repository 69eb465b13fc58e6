"""Every route and event, for every role and relation: allowed or refused, and refusals
audited. A stranger's guess at an id gets 404 (not_found), never a hint that it exists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from actions.signing import ProtocolSigning
from clinic.domain import CallMode, ConsultationStatus, Reason, Role
from clinic.time import now
from harness.client import Party
from protocol_writer.service import ProtocolService
from tests.conftest import Platform

ROLES = (
    "anonymous",
    "patient",
    "other_patient",
    "guardian",
    "doctor",
    "other_doctor",
    "staff",
    "other_staff",
    "operator",
)


def table(
    anonymous: int | str,
    patient: int | str,
    other_patient: int | str,
    guardian: int | str,
    doctor: int | str,
    other_doctor: int | str,
    staff: int | str,
    other_staff: int | str,
    operator: int | str,
) -> dict[str, int | str]:
    """Expected answers by role: a status, or "status error" where the status alone would not
    show whether access passed (e.g. a 404 for a missing slot after the relation check)."""
    return dict(
        zip(
            ROLES,
            (
                anonymous,
                patient,
                other_patient,
                guardian,
                doctor,
                other_doctor,
                staff,
                other_staff,
                operator,
            ),
            strict=True,
        )
    )


READ_RECORD = table(401, 200, 404, 200, 200, 404, 200, 404, 404)
OPERATORS = table(401, 403, 403, 403, 403, 403, 403, 403, 200)

# (method, path, body, expected); {c} an ended consultation, {p} its patient, {o} the
# patient's polyclinic, {s} a free slot there, {k} a high-risk check-in of the patient.
HTTP: list[tuple[str, str, Any, dict[str, int | str]]] = [
    ("GET", "api/consultations/{c}/protocol", None, READ_RECORD),
    # A stale version: 409 proves access passed.
    (
        "PUT",
        "api/consultations/{c}/protocol",
        "stale",
        table(401, 403, 403, 403, 409, 404, 403, 403, 403),
    ),
    (
        "POST",
        "api/consultations/{c}/protocol/preview",
        {"data": {}},
        table(401, 403, 403, 403, 200, 404, 403, 403, 403),
    ),
    (
        "GET",
        "api/consultations/{c}/actions",
        None,
        table(401, 404, 404, 404, 200, 404, 404, 404, 404),
    ),
    # The protocol asks for no visit, so none is proposed: 409 proves access passed.
    (
        "POST",
        "api/consultations/{c}/appointment",
        {},
        table(401, 404, 404, 404, "409 no_visit_needed", 404, 404, 404, 404),
    ),
    ("GET", "api/patients/{p}/protocols", None, READ_RECORD),
    ("GET", "api/patients/{p}/prescriptions", None, READ_RECORD),
    ("GET", "api/patients/{p}/appointments", None, READ_RECORD),
    ("GET", "api/patients/{p}/consilium", None, READ_RECORD),
    # Only the patient or a parent acts on visits; a missing slot after that is its own 404.
    (
        "DELETE",
        "api/patients/{p}/appointments/{s}",
        None,
        table(
            401, "404 no_such_appointment", 404, "404 no_such_appointment", 404, 404, 404, 404, 404
        ),
    ),
    (
        "POST",
        "api/patients/{p}/appointments/{s}/move",
        {"to_slot_id": "none"},
        table(401, "404 no_such_slot", 404, "404 no_such_slot", 404, 404, 404, 404, 404),
    ),
    # Only staff of the patient's centre enter decisions; a bad body proves access passed.
    (
        "POST",
        "api/patients/{p}/consilium",
        {"decided_on": "soon"},
        table(401, 403, 404, 403, 403, 404, "400 bad_request", 404, 404),
    ),
    # Check-ins: the patient or a parent answers (this patient is not under chemotherapy,
    # which proves access passed); the patient's centre starts a course; doctors review.
    ("GET", "api/patients/{p}/checkins", None, READ_RECORD),
    (
        "POST",
        "api/patients/{p}/checkins",
        {},
        table(
            401,
            "409 not_under_chemotherapy",
            404,
            "409 not_under_chemotherapy",
            404,
            404,
            404,
            404,
            404,
        ),
    ),
    (
        "PUT",
        "api/patients/{p}/chemotherapy",
        {"active": "yes"},
        table(401, 403, 404, 403, 403, 404, "400 bad_request", 404, 404),
    ),
    ("GET", "api/checkins/reviews", None, table(401, 403, 403, 403, 403, 403, 200, 200, 403)),
    (
        "POST",
        "api/checkins/{k}/review",
        {"note": 5},
        table(401, 404, 404, 404, "400 bad_request", 404, 404, 404, 404),
    ),
    ("GET", "api/patients/{p}/audit", None, table(401, 200, 404, 200, 404, 404, 404, 404, 404)),
    ("GET", "api/centre/patients", None, table(401, 403, 403, 403, 403, 403, 200, 200, 403)),
    ("GET", "api/centre/consilium", None, table(401, 403, 403, 403, 403, 403, 200, 200, 403)),
    ("GET", "api/audit", None, OPERATORS),
    ("GET", "api/outbox", None, OPERATORS),
    ("GET", "api/sms", None, OPERATORS),
    ("GET", "api/organisations", None, OPERATORS),
    ("GET", "api/organisations/{o}/slots", None, OPERATORS),
    (
        "POST",
        "api/organisations/{o}/slots",
        {"doctor": "Смирнова", "starts": ["x"]},
        table(401, 403, 403, 403, 403, 403, 403, 403, "400 bad_request"),
    ),
    # Staff programs use keys, not sessions.
    ("GET", "api/me", None, table(401, 200, 200, 200, 401, 401, 401, 401, 401)),
]

# Routes outside the role table, each tested where it is named.
NOT_ROLE_ROUTES = {
    "POST /api/join/{token}/otp",
    "POST /api/join/{token}/session",  # test_sign_in
    "POST /api/sessions/doctor",
    "POST /api/sign-out",  # test_sign_in
    "POST /api/sms/delivery-reports",  # test_actions: the operator's webhook token
    "GET /api/openapi.json",  # test_interface: the interface, public like the pages
}


# (event, payload, {role: expected ack code or "ok"})
EVENTS = [
    (
        "queue.list",
        {},
        {
            "patient": "forbidden",
            "other_patient": "forbidden",
            "guardian": "forbidden",
            "doctor": "ok",
            "other_doctor": "ok",
            "staff": "forbidden",
            "operator": "forbidden",
        },
    ),
    (
        "queue.join",
        {},
        {
            "doctor": "forbidden",
            "other_doctor": "forbidden",
            "staff": "forbidden",
            "operator": "forbidden",
        },
    ),
    (
        "consultation.take",
        {"consultation_id": "{live}"},
        {
            "patient": "forbidden",
            "other_patient": "forbidden",
            "guardian": "forbidden",
            "other_doctor": "not_found",
            "staff": "forbidden",
            "operator": "forbidden",
        },
    ),
    (
        "offer",
        {"consultation_id": "{live}", "target": "peer", "sdp": "v=0", "type": "offer"},
        {
            "patient": "ok",
            "other_patient": "not_found",
            "guardian": "not_found",
            "doctor": "ok",
            "other_doctor": "not_found",
            "staff": "not_found",
            "operator": "not_found",
        },
    ),
    (
        "ice",
        {"consultation_id": "{live}", "target": "peer", "candidate": {"candidate": ""}},
        {
            "patient": "ok",
            "other_patient": "not_found",
            "guardian": "not_found",
            "doctor": "ok",
            "other_doctor": "not_found",
            "staff": "not_found",
            "operator": "not_found",
        },
    ),
    (
        "hangup",
        {"consultation_id": "{done}"},
        {
            "patient": "not_active",
            "other_patient": "not_found",
            "guardian": "not_found",
            "doctor": "not_active",
            "other_doctor": "not_found",
            "staff": "not_found",
            "operator": "not_found",
        },
    ),
]


@pytest.fixture
async def world(platform: Platform) -> dict[str, Any]:
    records = platform.records
    centre = await records.add_organisation("oncology_centre", "Онкоцентр")
    other_centre = await records.add_organisation("oncology_centre", "Другой онкоцентр")
    polyclinic = await records.add_organisation("polyclinic", "Поликлиника")
    patient_id, patient_session = await platform.patient(
        "Анна", oncology_centre_id=centre.id, polyclinic_id=polyclinic.id
    )
    _, other_session = await platform.patient("Пётр")
    guardian_id, guardian_session = await platform.patient("Мама Анны")
    await records.link_guardian(guardian_id, patient_id)
    doctor_id, doctor_key = await platform.doctor("Ирина")
    _, other_key = await platform.doctor("Олег")
    _, staff_key = await platform.doctor("Регистратор", role=Role.STAFF, organisation_id=centre.id)
    _, other_staff_key = await platform.doctor(
        "Чужой регистратор", role=Role.STAFF, organisation_id=other_centre.id
    )
    _, operator_key = await platform.doctor("Оператор", role=Role.OPERATOR)
    (slot,) = await records.publish_slots(
        polyclinic.id, "Смирнова", "therapist", [now() + timedelta(days=1)]
    )
    done = await records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    await records.take(doctor_id, done.id)
    await records.finish(done.id, ConsultationStatus.ENDED)
    draft = await ProtocolService(records).draft(done.id)
    await ProtocolSigning(records).sign(done.id, doctor_id, draft.version, draft.data)
    checkin = await records.add_checkin(
        patient_id=patient_id,
        submitted_by=patient_id,
        answers={},
        level="red",
        flags=["fever"],
        review_due_at=now() + timedelta(days=1),
    )
    live = await records.enqueue(patient_id, Reason.RESPIRATORY, CallMode.AUDIO, "ru")
    await records.take(doctor_id, live.id)
    return {
        "patient_id": patient_id,
        "done": done.id,
        "live": live.id,
        "draft": draft.data,
        "polyclinic": polyclinic.id,
        "slot": slot.id,
        "checkin": checkin.id,
        "secrets": {
            "patient": patient_session,
            "other_patient": other_session,
            "guardian": guardian_session,
            "doctor": doctor_key,
            "other_doctor": other_key,
            "staff": staff_key,
            "other_staff": other_staff_key,
            "operator": operator_key,
        },
    }


SESSION_ROLES = ("patient", "other_patient", "guardian")


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), HTTP, ids=[f"{m} {p}" for m, p, _, _ in HTTP]
)
async def test_routes(
    platform: Platform,
    world: dict[str, Any],
    method: str,
    path: str,
    body: Any,
    expected: dict[str, int | str],
) -> None:
    url = platform.url + path.format(
        c=world["done"],
        p=world["patient_id"],
        o=world["polyclinic"],
        s=world["slot"],
        k=world["checkin"],
    )
    if body == "stale":
        body = {"based_on_version": 1, "data": world["draft"]}
    async with aiohttp.ClientSession() as http:
        for role in ROLES:
            secret = world["secrets"].get(role)
            headers = {"Authorization": f"Bearer {secret}"} if secret else {}
            if role in SESSION_ROLES and path == "api/me":
                headers = {"Cookie": f"telemed_session={secret}"}
            async with http.request(method, url, json=body, headers=headers) as response:
                got: int | str = response.status
                if isinstance(expected[role], str):
                    got = f"{response.status} {(await response.json()).get('error')}"
                assert got == expected[role], (role, await response.text())
    refusals = [a for a in await platform.records.audit_entries() if a.outcome == "refused"]
    if 404 in expected.values() and path.startswith("api/patients"):
        assert refusals, "a stranger's attempt left no audit entry"


def test_every_route_is_in_the_role_table(platform: Platform) -> None:
    routes = {
        f"{r.method} {r.resource.canonical}"
        for r in platform.server.app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/api/")
        and r.method != "HEAD"
    }
    tabled = {
        f"{m} /{p}".replace("{c}", "{consultation_id}")
        .replace("{p}", "{patient_id}")
        .replace("{o}", "{organisation_id}")
        .replace("{s}", "{slot_id}")
        .replace("{k}", "{checkin_id}")
        for m, p, _, _ in HTTP
    }
    assert routes - tabled - NOT_ROLE_ROUTES == set()


@pytest.mark.parametrize(("event", "payload", "expected"), EVENTS, ids=[e for e, _, _ in EVENTS])
async def test_events(
    platform: Platform,
    world: dict[str, Any],
    event: str,
    payload: dict[str, Any],
    expected: dict[str, str],
) -> None:
    parties = {
        role: Party(platform.url, {"session": secret} if role in SESSION_ROLES else {"key": secret})
        for role, secret in world["secrets"].items()
    }
    try:
        for party in parties.values():
            await party.connect()
        for role, party in parties.items():
            if role not in expected:
                continue
            data = {
                k: (world[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v)
                for k, v in payload.items()
            }
            reply = await party.call(event, data)
            assert (reply.get("code") or "ok") == expected[role], (role, reply)
    finally:
        for party in parties.values():
            await party.close()
    if "not_found" in expected.values():
        refused = [
            a
            for a in await platform.records.audit_entries()
            if a.outcome == "refused" and a.action in ("consultation.access", "consultation.take")
        ]
        assert refused, "a stranger's attempt left no audit entry"

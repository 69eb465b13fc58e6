"""Renewals, visits, consilium notices and SMS, end to end over HTTP against the platform."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import aiohttp
from aiohttp import web
from pytest_aiohttp import AiohttpServer
from sqlalchemy import select

from clinic.db import sessionmaker
from clinic.domain import Reason, Role
from clinic.tables import OutboxEntry, SmsMessage
from clinic.time import aware, now
from protocol_writer.emr import FhirRestRecord
from protocol_writer.fhir import validate_bundle
from tests.actions_world import consultation_from_corpus, tomorrow_at
from tests.conftest import Platform, make_settings
from tests.fhir_server import FhirServer
from transcription.models import ModelPool
from web.app import create_app
from web.platform import PLATFORM


async def call(
    http: aiohttp.ClientSession, method: str, url: str, secret: str, body: Any = None
) -> tuple[int, Any]:
    async with http.request(
        method, url, json=body, headers={"Authorization": f"Bearer {secret}"}
    ) as response:
        return response.status, await response.json()


async def sign(platform: Platform, consultation_id: str, key: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        url = f"{platform.url}api/consultations/{consultation_id}/protocol"
        _, draft = await call(http, "GET", url, key)
        return await call(
            http, "PUT", url, key, {"based_on_version": draft["version"], "data": draft["data"]}
        )


async def oncology_patient(
    platform: Platform, *, prior_ended_days_ago: float = -5, oncology: bool = True
) -> tuple[str, str, str]:
    """A patient followed by an oncology centre, with an earlier tamoxifen prescription
    (ending `-prior_ended_days_ago` days from now): patient id, session, centre id."""
    records = platform.records
    centre = await records.add_organisation("oncology_centre", "Онкоцентр №1")
    patient_id, session = await platform.patient("Мария Соколова", oncology_centre_id=centre.id)
    ended = now() - timedelta(days=prior_ended_days_ago)
    await records.add_prescription(
        patient_id,
        "Tamoxifen",
        dose="20 mg",
        valid_from=ended - timedelta(days=90),
        valid_until=ended,
        oncology=oncology,
        organisation_id=centre.id,
    )
    return patient_id, session, centre.id


async def sms_of(platform: Platform, patient_id: str) -> list[SmsMessage]:
    """The patient's messages once the running dispatcher has handed them all over."""
    platform.server.app[PLATFORM].messenger.nudge()
    for _ in range(100):
        messages = await platform.records.sms_log(patient_id=patient_id)
        if all(m.status != "pending" for m in messages):
            return messages
        await asyncio.sleep(0.05)
    raise AssertionError(f"messages still pending: {[m.purpose for m in messages]}")


async def test_an_oncologist_renews_a_prescription_the_patient_had(platform: Platform) -> None:
    records = platform.records
    patient_id, session, _ = await oncology_patient(platform)
    doctor_id, key = await platform.doctor("Олег Онкологов", specialty="oncologist")
    consultation_id = await consultation_from_corpus(
        records, "ru03_tamoxifen", patient_id, doctor_id, Reason.ONCOLOGY_RENEWAL
    )
    async with aiohttp.ClientSession() as http:
        status, preview = await call(
            http, "GET", f"{platform.url}api/consultations/{consultation_id}/actions", key
        )
    assert status == 200 and preview["renewals"][0]["allowed"] is True

    status, signed = await sign(platform, consultation_id, key)
    assert status == 201, signed
    prior, renewed = sorted(
        await records.prescriptions_of(patient_id), key=lambda p: aware(p.valid_from)
    )
    assert renewed.prior_id == prior.id and renewed.consultation_id == consultation_id
    # The renewal continues the old prescription: no gap, no overlap, 90 days as dictated.
    assert aware(renewed.valid_from) == aware(prior.valid_until)
    assert aware(renewed.valid_until) - aware(renewed.valid_from) == timedelta(days=90)
    assert renewed.dose == "20 mg" and renewed.prescriber_id == doctor_id

    # The record gets a MedicationRequest that names the very request it renews.
    async with sessionmaker(records.engine)() as s:
        bundle = (await s.scalars(select(OutboxEntry.payload))).one()
    request = next(
        e["resource"]
        for e in cast(list[dict[str, Any]], bundle["entry"])
        if e["resource"]["resourceType"] == "MedicationRequest"
    )
    assert request["identifier"][0]["value"] == renewed.id
    assert request["priorPrescription"]["identifier"]["value"] == prior.id

    messages = await sms_of(platform, patient_id)
    assert [m.purpose for m in messages] == ["prescription_renewed"]
    assert "Tamoxifen" in messages[0].text and messages[0].status == "development"

    # The patient sees both on their page.
    async with aiohttp.ClientSession() as http:
        status, body = await call(
            http, "GET", f"{platform.url}api/patients/{patient_id}/prescriptions", session
        )
    assert status == 200 and {p["id"] for p in body["prescriptions"]} == {prior.id, renewed.id}

    # A correction signed afterwards renews nothing twice and sends no second SMS.
    status, corrected = await sign(platform, consultation_id, key)
    assert status == 201 and corrected["version"] == signed["version"] + 1
    assert len(await records.prescriptions_of(patient_id)) == 2
    assert len(await sms_of(platform, patient_id)) == 1


async def test_renewals_are_refused_with_a_reason_and_nothing_is_signed(platform: Platform) -> None:
    records = platform.records
    cases = [
        # (why, prior ended days ago or None for no prior, doctor's specialty)
        ("never_prescribed", None, "oncologist"),
        ("history_expired", 200, "oncologist"),
        ("specialty", 5, "therapist"),
    ]
    for reason, ended_days_ago, specialty in cases:
        if ended_days_ago is None:
            patient_id, _ = await platform.patient("Без рецептов")
        else:
            patient_id, _, _ = await oncology_patient(platform, prior_ended_days_ago=ended_days_ago)
        doctor_id, key = await platform.doctor(f"Врач {reason}", specialty=specialty)
        consultation_id = await consultation_from_corpus(
            records, "ru03_tamoxifen", patient_id, doctor_id
        )
        status, body = await sign(platform, consultation_id, key)
        assert status == 422 and body["error"] == "renewal_refused", body
        assert [r["reason"] for r in body["refusals"]] == [reason]
        assert body["refusals"][0]["message"]  # the console shows it as it is
        latest = await records.latest_protocol(consultation_id)
        assert latest is not None and latest.status == "draft"
        assert len(await records.prescriptions_of(patient_id)) == (
            0 if ended_days_ago is None else 1
        )
        assert await sms_of(platform, patient_id) == []


async def test_a_worse_patient_gets_the_earliest_visit_and_can_move_or_cancel_it(
    platform: Platform, aiohttp_server: AiohttpServer
) -> None:
    records = platform.records
    polyclinic = await records.add_organisation("polyclinic", "Поликлиника №5", "ул. Ленина, 1")
    patient_id, session = await platform.patient("Пётр Кашлев", polyclinic_id=polyclinic.id)
    doctor_id, key = await platform.doctor()
    later, earliest, other = await records.publish_slots(
        polyclinic.id,
        "Смирнова А.А.",
        "therapist",
        [tomorrow_at(12), tomorrow_at(9), tomorrow_at(10)],
        room="каб. 12",
    )
    consultation_id = await consultation_from_corpus(
        records, "ru05_pneumonia_inperson", patient_id, doctor_id
    )
    status, _ = await sign(platform, consultation_id, key)
    assert status == 201
    base = f"{platform.url}api/consultations/{consultation_id}"
    async with aiohttp.ClientSession() as http:
        status, actions = await call(http, "GET", f"{base}/actions", key)
        assert actions["visit"]["needed"] is True
        assert actions["visit"]["proposal"]["slot_id"] == earliest.id
        status, booked = await call(http, "POST", f"{base}/appointment", key, {})
        assert status == 201 and booked["appointment"]["slot_id"] == earliest.id
        status, again = await call(http, "POST", f"{base}/appointment", key, {})
        assert (status, again["error"]) == (409, "already_booked")

        mine = f"{platform.url}api/patients/{patient_id}/appointments"
        status, page = await call(http, "GET", mine, session)
        assert [a["slot_id"] for a in page["appointments"]] == [earliest.id]
        assert {s["slot_id"] for s in page["free_slots"]} == {later.id, other.id}
        status, moved = await call(
            http, "POST", f"{mine}/{earliest.id}/move", session, {"to_slot_id": other.id}
        )
        assert status == 200 and moved["appointment"]["slot_id"] == other.id
        status, _ = await call(http, "DELETE", f"{mine}/{other.id}", session)
        assert status == 200
        status, page = await call(http, "GET", mine, session)
        assert page["appointments"] == [] and len(page["free_slots"]) == 3

    messages = await sms_of(platform, patient_id)
    assert sorted(m.purpose for m in messages) == [
        "appointment_booked",
        "appointment_cancelled",
        "appointment_moved",
    ]
    booked_sms = next(m for m in messages if m.purpose == "appointment_booked")
    assert "Поликлиника №5" in booked_sms.text and "каб. 12" in booked_sms.text
    assert "/join/" in booked_sms.text  # a link to the page where it can be moved

    # Each change reached the record as valid FHIR: booked, then moved (the first visit
    # cancelled, the second booked), then cancelled.
    platform.server.app[PLATFORM].outbox.nudge()
    for _ in range(100):
        if not await records.outbox("pending"):
            break
        await asyncio.sleep(0.05)
    visits = [d.bundle for d in await records.record_documents(patient_id) if d.protocol_id is None]
    states = []
    for bundle in visits:
        validate_bundle(bundle)
        appointment = next(
            e["resource"]
            for e in cast(list[dict[str, Any]], bundle["entry"])
            if e["resource"]["resourceType"] == "Appointment"
        )
        states.append((appointment["slot"][0]["reference"], appointment["status"]))
    assert [status for _, status in states] == ["booked", "cancelled", "booked", "cancelled"]
    assert states[0][0] == states[1][0] != states[2][0] == states[3][0]

    # A FHIR server applies them as updates of one Appointment and one Slot per visit.
    fhir = FhirServer()
    fhir_server = await aiohttp_server(fhir.app(), host="127.0.0.1")
    record = FhirRestRecord(str(fhir_server.make_url("/fhir")))
    for index, bundle in enumerate(visits):
        await record.push(bundle, f"visit-{index}")
    assert (fhir.count("Appointment"), fhir.count("Slot"), fhir.count("Patient")) == (2, 2, 1)
    assert {a["status"] for a in fhir.resources["Appointment"].values()} == {"cancelled"}
    assert {s["status"] for s in fhir.resources["Slot"].values()} == {"free"}


async def test_a_consilium_decision_reaches_the_patient_and_queues_a_talk(
    aiohttp_server: AiohttpServer,
    tmp_path: Path,
    model_pool: ModelPool,
) -> None:
    received: list[dict[str, Any]] = []
    failures = {"left": 2}

    async def operator_api(request: web.Request) -> web.Response:
        # The operator is down for the first two tries: the outbox retries, and the
        # operator's deduplication by our id is never needed because we send once.
        if failures["left"]:
            failures["left"] -= 1
            return web.json_response({"error": "busy"}, status=503)
        received.append(await request.json())
        return web.json_response({"id": f"op-{len(received)}"})

    sms_app = web.Application()
    sms_app.router.add_post("/send", operator_api)
    sms_server = await aiohttp_server(sms_app, host="127.0.0.1")
    settings = make_settings(
        tmp_path / "data",
        TELEMED_SMS_URL=str(sms_server.make_url("/send")),
        TELEMED_SMS_RETRY_S="0.05",
        TELEMED_SMS_WEBHOOK_TOKEN="hook",
    )
    app = create_app(settings, models=model_pool)
    server = await aiohttp_server(app, host="127.0.0.1")
    records = app[PLATFORM].records
    centre = await records.add_organisation("oncology_centre", "Онкоцентр №2")
    patient = await records.add_patient("Мария", "+79990001122", oncology_centre_id=centre.id)
    _staff, staff_key = await records.add_doctor(
        "Секретарь консилиума", "coordinator", role=Role.STAFF, organisation_id=centre.id
    )
    url = f"{server.make_url('/')}api/patients/{patient.id}/consilium"
    decision = {
        "decided_on": "2026-11-20",
        "external_id": "board-17",
        "decision": "Продолжить гормонотерапию, контроль через 3 месяца",
    }
    async with aiohttp.ClientSession() as http:
        status, body = await call(http, "POST", url, staff_key, decision)
        assert status == 201, body
        status, again = await call(http, "POST", url, staff_key, decision)  # a repeated import
        assert status == 200 and again["id"] == body["id"]
        status, bad = await call(
            http, "POST", url, staff_key, {"decided_on": "20.11.2026", "decision": "x"}
        )
        assert (status, bad["error"]) == (400, "bad_request")

    for _ in range(100):  # the dispatcher retries with backoff; wait for the one delivery
        if received:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    assert len(received) == 1 and received[0]["to"] == "+79990001122"
    assert "2026-11-20" in received[0]["text"]
    (message,) = await records.sms_log(patient_id=patient.id)
    assert (message.status, message.attempts, message.operator_ref) == ("sent", 3, "op-1")

    # The operator reports delivery to the webhook; a wrong token is refused.
    report = f"{server.make_url('/')}api/sms/delivery-reports"
    async with aiohttp.ClientSession() as http:
        status, _ = await call(
            http, "POST", report, "wrong", {"id": message.id, "status": "delivered"}
        )
        assert status == 401
        status, body = await call(
            http, "POST", report, "hook", {"id": message.id, "status": "delivered"}
        )
        assert (status, body["status"]) == (200, "delivered")
        status, body = await call(
            http, "POST", report, "hook", {"id": "no-such-message", "status": "delivered"}
        )
        assert (status, body["error"]) == (404, "not_found")
        status, body = await call(
            http, "POST", report, "hook", {"id": message.id, "status": "read"}
        )
        assert (status, body["error"]) == (400, "bad_request")

    # The link in the SMS signs the patient in; the page shows the decision, and joining
    # queues a consultation with an oncologist about it.
    token = received[0]["text"].rsplit("/join/", 1)[1].strip()
    session = await app_sign_in(server, token, lambda: received[-1]["text"])
    async with aiohttp.ClientSession() as http:
        status, body = await call(http, "GET", url, session)
    assert status == 200 and body["decisions"][0]["decision"].startswith("Продолжить")
    assert await records.invitation_reason(patient.id) is Reason.CONSILIUM
    audit = [e.action for e in await records.audit_entries(patient.id)]
    assert "consilium.write" in audit and "sms.send" in audit and "consilium.read" in audit


async def app_sign_in(server: Any, token: str, last_sms: Callable[[], str]) -> str:
    """Signs in with the link and the code from the last SMS the operator received (the
    record keeps it masked)."""
    base = str(server.make_url("/"))
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}api/join/{token}/otp", json={}) as response:
            assert response.status == 200, await response.text()
            challenge = (await response.json())["challenge_id"]
        code = "".join(c for c in last_sms().split(":")[1] if c.isdigit())
        async with http.post(
            f"{base}api/join/{token}/session", json={"challenge_id": challenge, "code": code}
        ) as response:
            assert response.status == 200, await response.text()
            return response.cookies["telemed_session"].value

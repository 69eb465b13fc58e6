"""HTTP routes for what protocols and centres set off: renewals, visits, consilium
decisions, and the SMS log and delivery reports. Every read and write is authorised against
the caller's relation to the patient and audited; a stranger gets 404, as for records."""

from __future__ import annotations

import hmac
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from aiohttp import web

from actions.booking import Outcome, slot_body, visit_needed
from actions.consilium import BadDecision, decision_body, parse_decision, record_decision
from clinic.access import Relation, relation
from clinic.domain import Principal
from clinic.messages.http import (
    BookVisit,
    ConsiliumDecision,
    DeliveryReport,
    MoveVisit,
    PublishSlots,
)
from clinic.records import Records
from clinic.sms import without_link_secret
from clinic.tables import Consultation, Patient, Prescription
from clinic.time import aware, now
from web.api import Refusal, authenticated, json_error, known_patient, operator, permit
from web.bodies import body
from web.platform import PLATFORM


async def patient_for(
    request: web.Request, action: str, *, acting: bool = False
) -> tuple[Principal, Patient]:
    """The caller and the patient of the route, if the caller may read (or, `acting`,
    act for: the patient or a linked parent) that patient's record."""
    records = request.app[PLATFORM].records
    who = await authenticated(request, action)
    patient_id = request.match_info["patient_id"][:36]
    allowed = await records.may_read_patient(who, patient_id)
    if acting:
        allowed = allowed and relation(who, action) is Relation.OWN
    patient = await records.patient(patient_id) if allowed else None
    if patient is None:
        await records.audit(
            who,
            action,
            object_id=patient_id,
            source=request.remote,
            patient_id=await known_patient(records, patient_id),
            outcome="refused",
            detail="not found",
        )
        raise json_error(web.HTTPNotFound, "not_found", "no such patient")
    return who, patient


async def _consultation_doctor(
    request: web.Request, action: str
) -> tuple[Principal, Consultation, Patient]:
    """The caller, if they are the doctor of the route's consultation, with its patient."""
    records = request.app[PLATFORM].records
    who = await authenticated(request, action)
    consultation_id = request.match_info["consultation_id"][:36]
    consultation = await records.consultation(consultation_id)
    if (
        consultation is None
        or relation(who, action) is not Relation.PARTY
        or consultation.doctor_id != who.id
    ):
        await records.audit(
            who,
            action,
            object_id=consultation_id,
            source=request.remote,
            patient_id=consultation.patient_id if consultation else None,
            outcome="refused",
            detail="not found",
        )
        raise json_error(web.HTTPNotFound, "not_found", "no such consultation")
    patient = await records.patient(consultation.patient_id)
    assert patient is not None
    return who, consultation, patient


# --- the doctor's view of a consultation's actions ----------------------------------------


async def consultation_actions(request: web.Request) -> web.Response:
    """What signing the latest version does: renewals (allowed or why not) and the visit."""
    records = request.app[PLATFORM].records
    who, consultation, patient = await _consultation_doctor(request, "actions.read")
    latest = await records.latest_protocol(consultation.id)
    renewals = (
        await request.app[PLATFORM].signing.renewals(consultation.id, who.id, latest.data)
        if latest
        else []
    )
    needed, in_days = visit_needed(latest.data) if latest else (False, 0)
    booked = await records.appointment_from(consultation.id)
    bookings = request.app[PLATFORM].bookings
    proposal = None if booked or not needed else await bookings.proposal(patient, in_days)
    await records.audit(
        who, "actions.read", patient_id=patient.id, object_id=consultation.id, source=request.remote
    )
    return web.json_response(
        {
            "renewals": [d.to_dict() for d in renewals],
            "visit": {
                "needed": needed,
                "in_days": in_days,
                "has_polyclinic": patient.polyclinic_id is not None,
                "proposal": await _slot(records, proposal),
                "booked": await _slot(records, booked),
            },
        }
    )


async def book_visit(request: web.Request) -> web.Response:
    """The doctor confirms a visit: `{"slot_id": ...}` (the proposal when omitted)."""
    records = request.app[PLATFORM].records
    who, consultation, patient = await _consultation_doctor(request, "appointment.book")
    slot_id = (await body(request, BookVisit)).slot_id
    if slot_id is None:
        latest = await records.latest_protocol(consultation.id)
        needed, in_days = visit_needed(latest.data) if latest else (False, 0)
        if not needed:
            raise json_error(
                web.HTTPConflict,
                "no_visit_needed",
                "the protocol asks for no visit; name a slot_id to book one",
            )
        proposal = await request.app[PLATFORM].bookings.proposal(patient, in_days)
        slot_id = proposal.id if proposal else None
    if slot_id is None:
        raise json_error(
            web.HTTPConflict, "no_free_slot", "no free slot at the patient's polyclinic"
        )
    if await records.appointment_from(consultation.id) is not None:
        raise json_error(
            web.HTTPConflict, "already_booked", "this consultation has booked a visit already"
        )
    outcome = await request.app[PLATFORM].bookings.book(who, patient, slot_id, consultation.id)
    return await _booking_answer(request, who, patient, outcome, "appointment.book", 201)


async def _booking_answer(
    request: web.Request,
    who: Principal,
    patient: Patient,
    outcome: Outcome,
    action: str,
    status: int = 200,
) -> web.Response:
    records = request.app[PLATFORM].records
    await records.audit(
        who,
        action,
        patient_id=patient.id,
        object_id=outcome.slot.id if outcome.slot else None,
        source=request.remote,
        outcome="ok" if outcome.ok else "refused",
        detail=outcome.error,
    )
    if not outcome.ok:
        if outcome.error == "slot_taken":
            raise json_error(
                web.HTTPConflict, "slot_taken", "someone else took this slot; choose another"
            )
        raise json_error(web.HTTPNotFound, outcome.error or "not_found", "no such slot")
    request.app[PLATFORM].messenger.nudge()
    return web.json_response({"appointment": await _slot(records, outcome.slot)}, status=status)


async def _slot(records: Records, slot: Any) -> dict[str, object] | None:
    if slot is None:
        return None
    return slot_body(slot, await records.organisation(slot.organisation_id))


# --- the patient's (or parent's) page --------------------------------------------------------


def _prescription_body(p: Prescription) -> dict[str, object]:
    return {
        "id": p.id,
        "medicine": p.medicine,
        "dose": p.dose,
        "valid_from": aware(p.valid_from).date().isoformat(),
        "valid_until": aware(p.valid_until).date().isoformat(),
        "renews": p.prior_id,
        "oncology": p.oncology,
    }


async def prescriptions(request: web.Request) -> web.Response:
    who, patient = await patient_for(request, "prescriptions.read")
    rows = await request.app[PLATFORM].records.prescriptions_of(patient.id)
    await request.app[PLATFORM].records.audit(
        who,
        "prescriptions.read",
        patient_id=patient.id,
        source=request.remote,
        detail=f"{len(rows)} prescriptions",
    )
    return web.json_response({"prescriptions": [_prescription_body(p) for p in rows]})


async def appointments(request: web.Request) -> web.Response:
    """Upcoming visits, and the free slots a visit could move to."""
    records = request.app[PLATFORM].records
    who, patient = await patient_for(request, "appointments.read")
    moment = now()
    booked = await records.appointments_of(patient.id, moment)
    free = await records.free_slots(patient.polyclinic_id, moment) if patient.polyclinic_id else []
    await records.audit(who, "appointments.read", patient_id=patient.id, source=request.remote)
    return web.json_response(
        {
            "appointments": [await _slot(records, s) for s in booked],
            "free_slots": [await _slot(records, s) for s in free],
        }
    )


async def cancel_appointment(request: web.Request) -> web.Response:
    who, patient = await patient_for(request, "appointment.cancel", acting=True)
    outcome = await request.app[PLATFORM].bookings.cancel(
        patient, request.match_info["slot_id"][:36]
    )
    return await _booking_answer(request, who, patient, outcome, "appointment.cancel")


async def move_appointment(request: web.Request) -> web.Response:
    who, patient = await patient_for(request, "appointment.move", acting=True)
    to_slot = (await body(request, MoveVisit)).to_slot_id
    outcome = await request.app[PLATFORM].bookings.move(
        who, patient, request.match_info["slot_id"][:36], to_slot
    )
    return await _booking_answer(request, who, patient, outcome, "appointment.move")


async def consilium_decisions(request: web.Request) -> web.Response:
    who, patient = await patient_for(request, "consilium.read")
    rows = await request.app[PLATFORM].records.consilium_decisions_of(patient.id)
    await request.app[PLATFORM].records.audit(
        who, "consilium.read", patient_id=patient.id, source=request.remote
    )
    return web.json_response({"decisions": [decision_body(r) for r in rows]})


# --- oncology-centre staff -----------------------------------------------------------------


async def add_consilium_decision(request: web.Request) -> web.Response:
    """Staff of the patient's oncology centre: `{decided_on, decision, external_id?}`."""
    records = request.app[PLATFORM].records
    who, patient = await patient_for(request, "consilium.write")
    centre = patient.oncology_centre_id
    await permit(
        request,
        who,
        "consilium.write",
        Relation.CENTRE,
        replace(CENTRE_STAFF_ONLY, detail="not staff"),
        also=centre is not None,
        patient_id=patient.id,
    )
    assert centre is not None  # permit refused otherwise
    try:
        decided_on, decision, external_id = parse_decision(
            (await body(request, ConsiliumDecision)).model_dump()
        )
    except BadDecision as exc:
        raise json_error(web.HTTPBadRequest, "bad_request", str(exc)) from exc
    row, created = await record_decision(
        records,
        request.app[PLATFORM].settings,
        who,
        centre,
        patient,
        decided_on,
        decision,
        external_id,
    )
    await records.audit(
        who,
        "consilium.write",
        patient_id=patient.id,
        object_id=row.id,
        source=request.remote,
        detail=None if created else "repeated import",
    )
    request.app[PLATFORM].messenger.nudge()
    return web.json_response(decision_body(row), status=201 if created else 200)


CENTRE_STAFF_ONLY = Refusal(
    web.HTTPForbidden, "forbidden", "oncology-centre staff only", "not centre staff"
)


async def _staff_centre(request: web.Request, action: str) -> tuple[Principal, str]:
    records = request.app[PLATFORM].records
    who = await authenticated(request, action)
    staff = await records.doctor(who.id) if relation(who, action) is Relation.CENTRE else None
    centre = staff.organisation_id if staff is not None else None
    await permit(request, who, action, Relation.CENTRE, CENTRE_STAFF_ONLY, also=centre is not None)
    assert centre is not None  # permit refused otherwise
    return who, centre


async def centre_patients(request: web.Request) -> web.Response:
    """The patients the caller's oncology centre follows: whom decisions can be entered for."""
    records = request.app[PLATFORM].records
    who, centre = await _staff_centre(request, "centre.patients.read")
    patients = await records.patients_of_centre(centre)
    await records.audit(
        who,
        "centre.patients.read",
        object_id=centre,
        source=request.remote,
        detail=f"{len(patients)} patients",
    )
    return web.json_response({"patients": [{"id": p.id, "name": p.full_name} for p in patients]})


async def centre_decisions(request: web.Request) -> web.Response:
    records = request.app[PLATFORM].records
    who, centre = await _staff_centre(request, "consilium.read")
    rows = await records.consilium_decisions_of_centre(centre)
    names = await records.people_names({r.patient_id for r in rows})
    await records.audit(
        who,
        "consilium.read",
        object_id=centre,
        source=request.remote,
        detail=f"{len(rows)} decisions",
    )
    return web.json_response(
        {"decisions": [{**decision_body(r), "patient": names.get(r.patient_id, "")} for r in rows]}
    )


# --- operators -----------------------------------------------------------------------------


def _redacted(text: str) -> str:
    """What an operator may read of a message: no sign-in link, no code. With both, an
    operator could sign in as the patient."""
    return re.sub(r"\b\d{6}\b", "••••••", without_link_secret(text))


async def sms_log(request: web.Request) -> web.Response:
    """Every SMS with its status; for operators (phones and texts are patient data: audited;
    links and codes are masked)."""
    records = request.app[PLATFORM].records
    who = await operator(request, "sms.read")
    rows = await records.sms_log(limit=200)
    await records.audit(who, "sms.read", source=request.remote, detail=f"{len(rows)} messages")
    return web.json_response(
        {
            "messages": [
                {
                    "id": m.id,
                    "created_at": aware(m.created_at).isoformat(),
                    "phone": m.phone,
                    "purpose": m.purpose,
                    "text": _redacted(m.text),
                    "status": m.status,
                    "attempts": m.attempts,
                    "last_error": m.last_error,
                }
                for m in rows
            ]
        }
    )


async def organisations(request: web.Request) -> web.Response:
    await operator(request, "organisations.read")
    return web.json_response(
        {
            "organisations": [
                {"id": o.id, "kind": o.kind, "name": o.name, "address": o.address}
                for o in await request.app[PLATFORM].records.organisations()
            ]
        }
    )


async def schedule(request: web.Request) -> web.Response:
    records = request.app[PLATFORM].records
    await operator(request, "schedule.read")
    organisation = await records.organisation(request.match_info["organisation_id"][:36])
    if organisation is None:
        raise json_error(web.HTTPNotFound, "not_found", "no such organisation")
    rows = await records.slots_of(organisation.id, now() - timedelta(hours=1))
    return web.json_response(
        {
            "slots": [
                {**slot_body(s, organisation), "booked": s.patient_id is not None} for s in rows
            ]
        }
    )


async def publish_slots(request: web.Request) -> web.Response:
    """`{doctor, specialty, starts: [ISO times], minutes, room}` for a polyclinic."""
    records = request.app[PLATFORM].records
    who = await operator(request, "schedule.write")
    organisation = await records.organisation(request.match_info["organisation_id"][:36])
    if organisation is None or organisation.kind != "polyclinic":
        raise json_error(web.HTTPNotFound, "not_found", "no such polyclinic")
    message = await body(request, PublishSlots)
    if not message.doctor.strip():
        raise json_error(web.HTTPBadRequest, "bad_request", "doctor: the doctor's name is empty")
    slots = await records.publish_slots(
        organisation.id,
        message.doctor,
        message.specialty,
        [aware(s) for s in message.starts],
        message.minutes,
        message.room,
    )
    await records.audit(
        who,
        "schedule.write",
        object_id=organisation.id,
        source=request.remote,
        detail=f"{len(slots)} slots",
    )
    return web.json_response({"published": len(slots)}, status=201)


# --- the SMS operator's delivery reports ----------------------------------------------------


async def delivery_report(request: web.Request) -> web.Response:
    """`POST {"id": <our message id>, "status": "delivered"|"failed", "error"?}` with the
    bearer token in TELEMED_SMS_WEBHOOK_TOKEN."""
    expected = request.app[PLATFORM].settings.sms_webhook_token
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise json_error(web.HTTPUnauthorized, "unauthorized", "a valid webhook token is needed")
    report = await body(request, DeliveryReport)
    status = report.status
    message = await request.app[PLATFORM].records.sms_delivery_report(
        report.id, status == "delivered", report.error
    )
    if message is None:
        raise json_error(web.HTTPNotFound, "not_found", "no such sent message")
    await request.app[PLATFORM].records.audit(
        None,
        "sms.delivery_report",
        patient_id=message.patient_id,
        object_id=message.id,
        source=request.remote,
        detail=status,
    )
    return web.json_response({"id": message.id, "status": message.status})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/consultations/{consultation_id}/actions", consultation_actions)
    r.add_post("/api/consultations/{consultation_id}/appointment", book_visit)
    r.add_get("/api/patients/{patient_id}/prescriptions", prescriptions)
    r.add_get("/api/patients/{patient_id}/appointments", appointments)
    r.add_delete("/api/patients/{patient_id}/appointments/{slot_id}", cancel_appointment)
    r.add_post("/api/patients/{patient_id}/appointments/{slot_id}/move", move_appointment)
    r.add_get("/api/patients/{patient_id}/consilium", consilium_decisions)
    r.add_post("/api/patients/{patient_id}/consilium", add_consilium_decision)
    r.add_get("/api/centre/patients", centre_patients)
    r.add_get("/api/centre/consilium", centre_decisions)
    r.add_get("/api/sms", sms_log)
    r.add_get("/api/organisations", organisations)
    r.add_get("/api/organisations/{organisation_id}/slots", schedule)
    r.add_post("/api/organisations/{organisation_id}/slots", publish_slots)
    r.add_post("/api/sms/delivery-reports", delivery_report)

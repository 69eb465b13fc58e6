"""HTTP routes for chemotherapy check-ins: the patient (or a parent) answers, the centre's
doctors review high-risk answers by their deadline, and the centre starts and stops a course.
Reads and writes are authorised by the caller's relation to the patient and audited."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from actions.checkin import (
    BadCheckIn,
    assess,
    flag_texts,
    parse_answers,
    questionnaire,
    review_due,
)
from clinic.access import Relation, relation
from clinic.domain import Principal, Role
from clinic.messages.http import CheckInAnswers, Chemotherapy, Review
from clinic.tables import CheckIn, Patient
from clinic.time import aware, now
from web.actions_api import patient_for
from web.api import Refusal, authenticated, json_error, permit
from web.bodies import body
from web.platform import PLATFORM


def _language(request: web.Request, fallback: str) -> str:
    lang = request.query.get("lang", fallback)
    return lang if lang in ("ru", "en") else "ru"


def _body(row: CheckIn, language: str, names: dict[str, str] | None = None) -> dict[str, object]:
    due = aware(row.review_due_at) if row.review_due_at else None
    return {
        "id": row.id,
        "submitted_at": aware(row.submitted_at).isoformat(),
        "level": row.level,
        "flags": row.flags,
        "flag_texts": flag_texts(row.flags, language),
        "answers": row.answers,
        "review_due_at": due.isoformat() if due else None,
        "overdue": due is not None and row.reviewed_at is None and due < now(),
        "reviewed_at": aware(row.reviewed_at).isoformat() if row.reviewed_at else None,
        "reviewed_by": (names or {}).get(row.reviewed_by or "", row.reviewed_by),
        "review_note": row.review_note,
    }


async def checkins(request: web.Request) -> web.Response:
    """The questionnaire, past answers and their reviews, and whether an urgent
    consultation is offered (a high-risk answer not reviewed yet)."""
    records = request.app[PLATFORM].records
    who, patient = await patient_for(request, "checkins.read")
    language = _language(request, patient.language)
    rows = await records.checkins_of(patient.id)
    names = await records.people_names({r.reviewed_by for r in rows if r.reviewed_by})
    interval = timedelta(hours=request.app[PLATFORM].settings.checkin_interval_h)
    next_due = aware(rows[0].submitted_at) + interval if rows else now()
    await records.audit(
        who,
        "checkins.read",
        patient_id=patient.id,
        source=request.remote,
        detail=f"{len(rows)} check-ins",
    )
    return web.json_response(
        {
            "under_chemotherapy": patient.under_chemotherapy,
            "questions": questionnaire(language),
            "next_due_at": next_due.isoformat() if patient.under_chemotherapy else None,
            "urgent_offer": any(r.review_due_at and not r.reviewed_at for r in rows),
            "checkins": [_body(r, language, names) for r in rows],
        }
    )


async def submit_checkin(request: web.Request) -> web.Response:
    """The patient's or a parent's answers: `{temperature_c, shivering, ...}`."""
    records = request.app[PLATFORM].records
    who, patient = await patient_for(request, "checkin.write", acting=True)
    if not patient.under_chemotherapy:
        raise json_error(
            web.HTTPConflict,
            "not_under_chemotherapy",
            "check-ins are for patients during a chemotherapy course",
        )
    try:
        answers = parse_answers((await body(request, CheckInAnswers)).model_extra or {})
    except BadCheckIn as exc:
        raise json_error(web.HTTPBadRequest, "bad_request", str(exc)) from exc
    assessment = assess(answers)
    submitted = now()
    due = (
        review_due(submitted, ZoneInfo(request.app[PLATFORM].settings.timezone))
        if assessment.high_risk
        else None
    )
    row = await records.add_checkin(
        patient_id=patient.id,
        submitted_by=who.id,
        answers=dict(answers),
        level=assessment.level,
        flags=list(assessment.flags),
        review_due_at=due,
    )
    await records.audit(
        who,
        "checkin.write",
        patient_id=patient.id,
        object_id=row.id,
        source=request.remote,
        detail=assessment.level,
    )
    return web.json_response(
        {
            "checkin": _body(row, _language(request, patient.language)),
            "urgent_offer": assessment.high_risk,
        },
        status=201,
    )


async def _centre_member(
    request: web.Request, action: str, patient: Patient, who: Principal
) -> None:
    """Only a doctor or staff member of the patient's own oncology centre goes on."""
    centre = (
        await request.app[PLATFORM].records.organisation_of(who.id)
        if relation(who, action) is Relation.CENTRE
        else None
    )
    await permit(
        request,
        who,
        action,
        Relation.CENTRE,
        Refusal(
            web.HTTPForbidden,
            "forbidden",
            "doctors and staff of the patient's oncology centre only",
            "not of the patient's centre",
        ),
        also=centre is not None and centre == patient.oncology_centre_id,
        patient_id=patient.id,
    )


async def set_chemotherapy(request: web.Request) -> web.Response:
    """`{"active": true|false}`: the centre starts or ends the patient's check-ins."""
    records = request.app[PLATFORM].records
    who, patient = await patient_for(request, "chemotherapy.write")
    await _centre_member(request, "chemotherapy.write", patient, who)
    active = (await body(request, Chemotherapy)).active
    await records.set_chemotherapy(patient.id, active)
    await records.audit(
        who,
        "chemotherapy.write",
        patient_id=patient.id,
        source=request.remote,
        detail="started" if active else "ended",
    )
    return web.json_response({"under_chemotherapy": active})


async def reviews_due(request: web.Request) -> web.Response:
    """High-risk check-ins of the caller's centre that no doctor has reviewed, soonest due
    first: the console's list of what must be looked at today."""
    records = request.app[PLATFORM].records
    who = await authenticated(request, "checkins.read")
    centre = (
        await records.organisation_of(who.id) if who.role in (Role.DOCTOR, Role.STAFF) else None
    )
    if centre is None:
        await records.audit(
            who,
            "checkins.read",
            source=request.remote,
            outcome="refused",
            detail="not of an oncology centre",
        )
        raise json_error(
            web.HTTPForbidden, "forbidden", "doctors and staff of an oncology centre only"
        )
    rows = await records.reviews_due(centre)
    await records.audit(
        who,
        "checkins.read",
        object_id=centre,
        source=request.remote,
        detail=f"{len(rows)} to review",
    )
    language = _language(request, "en")
    return web.json_response(
        {
            "checkins": [
                {**_body(c, language), "patient_id": p.id, "patient_name": p.full_name}
                for c, p in rows
            ]
        }
    )


async def review(request: web.Request) -> web.Response:
    """A doctor who may read the patient's record marks a check-in reviewed: `{note}`."""
    records = request.app[PLATFORM].records
    who = await authenticated(request, "checkin.review")
    checkin_id = request.match_info["checkin_id"][:36]
    row = await records.checkin(checkin_id)
    if (
        row is None
        or relation(who, "checkin.review") is not Relation.RECORD
        or not await records.may_read_patient(who, row.patient_id)
    ):
        await records.audit(
            who,
            "checkin.review",
            object_id=checkin_id,
            patient_id=row.patient_id if row else None,
            source=request.remote,
            outcome="refused",
            detail="not found",
        )
        raise json_error(web.HTTPNotFound, "not_found", "no such check-in")
    note = (await body(request, Review)).note
    if not await records.review_checkin(row.id, who.id, note.strip()):
        raise json_error(
            web.HTTPConflict, "already_reviewed", "another doctor reviewed this check-in first"
        )
    await records.audit(
        who, "checkin.review", patient_id=row.patient_id, object_id=row.id, source=request.remote
    )
    return web.json_response({"id": row.id, "reviewed": True})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/patients/{patient_id}/checkins", checkins)
    r.add_post("/api/patients/{patient_id}/checkins", submit_checkin)
    r.add_put("/api/patients/{patient_id}/chemotherapy", set_chemotherapy)
    r.add_get("/api/checkins/reviews", reviews_due)
    r.add_post("/api/checkins/{checkin_id}/review", review)

"""HTTP routes for records. Every read is authorised against the caller and audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from actions.renewal import RenewalRefused
from clinic import rooms
from clinic.access import Relation, is_party, relation
from clinic.domain import Principal, Role
from clinic.messages.http import PreviewProtocol, SignProtocol
from clinic.records import Conflict, Records
from clinic.tables import ProtocolRow
from protocol_writer.diagnosis import suggestion_taken
from protocol_writer.protocol import Protocol
from protocol_writer.service import InvalidProtocol
from web import reader
from web.bodies import body
from web.platform import PLATFORM
from web.sessions import session_principal


def json_error(status: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    return status(
        text=json.dumps({"error": code, "message": message}), content_type="application/json"
    )


async def caller(request: web.Request) -> Principal | None:
    """The session cookie; or, for programs, `Authorization: Bearer <session or doctor key>`."""
    who = await session_principal(request)
    if who is not None:
        return who
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or len(header) > 300:
        return None
    secret = header[len("Bearer ") :].strip()
    platform = request.app[PLATFORM]
    return await platform.sign_in.principal(secret) or await platform.records.doctor_by_key(secret)


async def authenticated(request: web.Request, action: str) -> Principal:
    who = await caller(request)
    if who is None:
        await request.app[PLATFORM].records.audit(
            None,
            action,
            object_id=request.match_info.get("consultation_id", "")[:36],
            source=request.remote,
            outcome="refused",
            detail="unauthenticated",
        )
        raise json_error(web.HTTPUnauthorized, "unauthorized", "a valid link or key is needed")
    return who


@dataclass(frozen=True)
class Refusal:
    """How a route answers a caller the policy does not let through, and what the audit
    trail says of it."""

    status: type[web.HTTPException]
    code: str
    message: str
    detail: str


async def permit(
    request: web.Request,
    who: Principal,
    action: str,
    accepted: Relation,
    refusal: Refusal,
    *,
    also: bool = True,
    patient_id: str | None = None,
    object_id: str | None = None,
) -> None:
    """Goes on if the policy asks `accepted` of the caller's role for `action` (and `also`,
    the relation as the route found it, holds); refuses and audits the refusal otherwise."""
    if relation(who, action) is accepted and also:
        return
    await request.app[PLATFORM].records.audit(
        who,
        action,
        patient_id=patient_id,
        object_id=object_id,
        source=request.remote,
        outcome="refused",
        detail=refusal.detail,
    )
    raise json_error(refusal.status, refusal.code, refusal.message)


async def authorised(
    request: web.Request, action: str, accepted: Relation, refusal: Refusal
) -> Principal:
    """The caller, authenticated and let through by the policy (see `permit`)."""
    who = await authenticated(request, action)
    await permit(request, who, action, accepted, refusal)
    return who


async def known_patient(records: Records, patient_id: str) -> str | None:
    """`patient_id` if such a patient exists: a refused attempt on a real record is
    audited under the patient, so their "who looked at my card" shows it."""
    return patient_id if await records.patient(patient_id[:36]) is not None else None


async def known_patient_of(records: Records, consultation_id: str) -> str | None:
    consultation = await records.consultation(consultation_id[:36])
    return consultation.patient_id if consultation else None


def _protocol_body(row: ProtocolRow) -> dict[str, Any]:
    return {
        "consultation_id": row.consultation_id,
        "protocol_id": row.id,
        "version": row.version,
        "status": row.status,
        "data": row.data,
        "html": row.html,
        "signed_at": row.signed_at.isoformat() if row.signed_at else None,
        "supersedes_id": row.supersedes_id,
    }


async def read_protocol(request: web.Request) -> web.Response:
    """The doctor gets the latest version, draft or signed; the patient only signed ones."""
    records = request.app[PLATFORM].records
    consultation_id = request.match_info["consultation_id"]
    who = await authenticated(request, "protocol.read")
    consultation = await records.consultation(consultation_id)
    row = None
    rule = relation(who, "protocol.read")
    if (
        consultation is not None
        and rule is not None
        and (
            is_party(who, consultation)
            or (
                rule is Relation.RECORD
                and await records.may_read_patient(who, consultation.patient_id)
            )
        )
    ):
        # Drafts are the treating doctor's working copy; everyone else reads signed ones.
        row = await records.latest_protocol(consultation_id, signed_only=rule is not Relation.PARTY)
    if consultation is None or row is None:
        # The same answer for "not yours" and "does not exist": ids are not an oracle.
        await records.audit(
            who,
            "protocol.read",
            object_id=consultation_id[:36],
            patient_id=consultation.patient_id if consultation else None,
            source=request.remote,
            outcome="refused",
            detail="not found",
        )
        raise json_error(web.HTTPNotFound, "not_found", "no such protocol")
    await records.audit(
        who,
        "protocol.read",
        patient_id=consultation.patient_id,
        object_id=row.id,
        source=request.remote,
    )
    return web.json_response(
        {**_protocol_body(row), "html": reader.protocol_html(request, who, row)}
    )


async def _no_such_protocol(request: web.Request, who: Principal, action: str) -> web.HTTPException:
    """Audits a doctor's attempt on a consultation that is not theirs (or does not exist)
    and gives the answer that does not tell the two apart."""
    records = request.app[PLATFORM].records
    consultation_id = request.match_info["consultation_id"]
    await records.audit(
        who,
        action,
        object_id=consultation_id[:36],
        patient_id=await known_patient_of(records, consultation_id),
        source=request.remote,
        outcome="refused",
        detail="not found",
    )
    return json_error(web.HTTPNotFound, "not_found", "no such protocol")


async def preview_protocol(request: web.Request) -> web.Response:
    """The doctor's edits rendered as the signed protocol would read: `{"data": {...}}`."""
    consultation_id = request.match_info["consultation_id"]
    who = await authenticated(request, "protocol.preview")
    data = (await body(request, PreviewProtocol)).data
    await permit(
        request,
        who,
        "protocol.preview",
        Relation.PARTY,
        Refusal(
            web.HTTPForbidden, "forbidden", "only the doctor previews a protocol", "not a doctor"
        ),
        object_id=consultation_id[:36],
    )
    try:
        html = await request.app[PLATFORM].protocols.preview(consultation_id, who.id, data)
    except LookupError as exc:
        raise await _no_such_protocol(request, who, "protocol.preview") from exc
    except InvalidProtocol as exc:
        raise json_error(web.HTTPUnprocessableEntity, "invalid_protocol", str(exc)) from exc
    return web.json_response({"html": html})


async def sign_protocol(request: web.Request) -> web.Response:
    """The doctor's reviewed protocol: `{"based_on_version": N, "data": {...}}`."""
    records = request.app[PLATFORM].records
    consultation_id = request.match_info["consultation_id"]
    who = await authenticated(request, "protocol.sign")
    message = await body(request, SignProtocol)
    version, data = message.based_on_version, message.data
    await permit(
        request,
        who,
        "protocol.sign",
        Relation.PARTY,
        Refusal(web.HTTPForbidden, "forbidden", "only the doctor signs a protocol", "not a doctor"),
        object_id=consultation_id[:36],
    )
    try:
        row = await request.app[PLATFORM].signing.sign(consultation_id, who.id, version, data)
    except LookupError as exc:
        raise await _no_such_protocol(request, who, "protocol.sign") from exc
    except InvalidProtocol as exc:
        raise json_error(web.HTTPUnprocessableEntity, "invalid_protocol", str(exc)) from exc
    except Conflict as exc:
        raise json_error(web.HTTPConflict, "conflict", str(exc)) from exc
    except RenewalRefused as exc:
        await records.audit(
            who,
            "protocol.sign",
            object_id=consultation_id[:36],
            source=request.remote,
            outcome="refused",
            detail=str(exc)[:500],
        )
        raise web.HTTPUnprocessableEntity(
            text=json.dumps(
                {
                    "error": "renewal_refused",
                    "message": str(exc),
                    "refusals": [d.to_dict() for d in exc.refusals],
                },
                ensure_ascii=False,
            ),
            content_type="application/json",
        ) from exc
    consultation = await records.consultation(consultation_id)
    assert consultation is not None
    # Recorded with the signature: was the signed diagnosis one the suggester offered?
    taken = suggestion_taken(Protocol.from_dict({**row.data, "consultation_id": consultation_id}))
    if taken is not None:
        request.app[PLATFORM].metrics.observe_suggestion(taken)
    await records.audit(
        who,
        "protocol.sign",
        patient_id=consultation.patient_id,
        object_id=row.id,
        source=request.remote,
        detail="" if taken is None else f"suggestion_taken={str(taken).lower()}",
    )
    request.app[PLATFORM].outbox.nudge()
    request.app[PLATFORM].messenger.nudge()
    await request.app[PLATFORM].rooms.emit(
        "protocol.signed",
        {"consultation_id": consultation_id, "protocol_id": row.id, "version": row.version},
        room=[
            rooms.person(Role.PATIENT, consultation.patient_id),
            rooms.person(Role.DOCTOR, who.id),
        ],
    )
    return web.json_response(_protocol_body(row), status=201)


async def patient_protocols(request: web.Request) -> web.Response:
    """The patient's signed protocols: for the patient, and for doctors who treat them."""
    records = request.app[PLATFORM].records
    patient_id = request.match_info["patient_id"][:36]
    who = await authenticated(request, "record.read")
    if not await records.may_read_patient(who, patient_id):
        await records.audit(
            who,
            "record.read",
            object_id=patient_id,
            source=request.remote,
            patient_id=await known_patient(records, patient_id),
            outcome="refused",
            detail="not found",
        )
        raise json_error(web.HTTPNotFound, "not_found", "no such patient")
    rows = await records.signed_protocols_of_patient(patient_id)
    await records.audit(
        who,
        "record.read",
        patient_id=patient_id,
        source=request.remote,
        detail=f"{len(rows)} protocols",
    )
    return web.json_response(
        {
            "patient_id": patient_id,
            "protocols": [
                {
                    **_protocol_body(row),
                    "html": reader.protocol_html(request, who, row),
                    "diagnosis": row.data.get("diagnosis"),
                }
                for row in rows
            ],
        }
    )


async def patient_audit(request: web.Request) -> web.Response:
    """ "Who looked at my card": every access to the patient's record, for the patient."""
    records = request.app[PLATFORM].records
    patient_id = request.match_info["patient_id"][:36]
    who = await authenticated(request, "audit.read")
    if relation(who, "audit.read") is not Relation.OWN or not await records.may_read_patient(
        who, patient_id
    ):
        await records.audit(
            who,
            "audit.read",
            object_id=patient_id,
            source=request.remote,
            patient_id=await known_patient(records, patient_id),
            outcome="refused",
            detail="not found",
        )
        raise json_error(web.HTTPNotFound, "not_found", "no such patient")
    entries = await records.audit_entries(patient_id)
    names = await records.people_names({e.actor_id for e in entries if e.actor_id})
    await records.audit(who, "audit.read", patient_id=patient_id, source=request.remote)
    return web.json_response(
        {
            "patient_id": patient_id,
            "entries": [
                {
                    "at": e.at.isoformat(),
                    "actor_role": e.actor_role,
                    "actor_name": names.get(e.actor_id or "", ""),
                    "action": e.action,
                    "outcome": e.outcome,
                }
                for e in entries
            ],
        }
    )


OPERATORS_ONLY = Refusal(web.HTTPForbidden, "forbidden", "operators only", "not an operator")


async def operator(request: web.Request, action: str) -> Principal:
    """The caller if they are an operator; anyone else is refused, and audited."""
    return await authorised(request, action, Relation.ANY, OPERATORS_ONLY)


async def operator_audit(request: web.Request) -> web.Response:
    """The audit trail for operators: every access, or one patient's (`?patient_id=`)."""
    records = request.app[PLATFORM].records
    who = await operator(request, "audit.read")
    patient_id = request.query.get("patient_id", "")[:36] or None
    entries = await records.audit_entries(patient_id)
    await records.audit(
        who,
        "audit.read",
        patient_id=patient_id,
        source=request.remote,
        detail=f"{len(entries)} entries",
    )
    return web.json_response(
        {
            "entries": [
                {
                    "at": e.at.isoformat(),
                    "actor_role": e.actor_role,
                    "actor_id": e.actor_id,
                    "action": e.action,
                    "patient_id": e.patient_id,
                    "object_id": e.object_id,
                    "source": e.source,
                    "outcome": e.outcome,
                    "detail": e.detail,
                }
                for e in entries
            ]
        }
    )


async def operator_outbox(request: web.Request) -> web.Response:
    """Record pushes not yet delivered, with their errors: what is stuck, and why."""
    records = request.app[PLATFORM].records
    await operator(request, "outbox.read")
    return web.json_response(
        {
            "pending": [
                {
                    "target": e.target,
                    "protocol_id": e.protocol_id,
                    "attempts": e.attempts,
                    "next_attempt_at": e.next_attempt_at.isoformat(),
                    "last_error": e.last_error,
                }
                for e in await records.outbox("pending")
            ]
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/consultations/{consultation_id}/protocol", read_protocol)
    app.router.add_put("/api/consultations/{consultation_id}/protocol", sign_protocol)
    app.router.add_post("/api/consultations/{consultation_id}/protocol/preview", preview_protocol)
    app.router.add_get("/api/patients/{patient_id}/protocols", patient_protocols)
    app.router.add_get("/api/patients/{patient_id}/audit", patient_audit)
    app.router.add_get("/api/audit", operator_audit)
    app.router.add_get("/api/outbox", operator_outbox)

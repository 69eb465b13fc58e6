"""HTTP routes for records. Every read is authorised against the caller and audited."""

from __future__ import annotations

from aiohttp import web

from clinic.access import is_party
from clinic.domain import Principal
from clinic.records import Records

RECORDS_KEY = web.AppKey("api_records", Records)


async def caller(request: web.Request) -> Principal | None:
    """A patient's invitation token or a doctor's key, as `Authorization: Bearer ...`."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or len(header) > 300:
        return None
    secret = header[len("Bearer "):].strip()
    records = request.app[RECORDS_KEY]
    found = await records.patient_by_token(secret)
    if found is not None:
        return found[0]
    return await records.doctor_by_key(secret)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def protocol(request: web.Request) -> web.Response:
    records = request.app[RECORDS_KEY]
    consultation_id = request.match_info["consultation_id"]
    who = await caller(request)
    if who is None:
        await records.audit(None, "protocol.read", object_id=consultation_id[:36],
                            source=request.remote, outcome="refused", detail="unauthenticated")
        raise web.HTTPUnauthorized(text='{"error": "unauthorized"}',
                                   content_type="application/json")
    consultation = await records.consultation(consultation_id)
    row = await records.latest_protocol(consultation_id) if is_party(who, consultation) else None
    if consultation is None or row is None:
        # The same answer for "not yours" and "does not exist": ids are not an oracle.
        await records.audit(who, "protocol.read", object_id=consultation_id[:36],
                            source=request.remote, outcome="refused", detail="not found")
        raise web.HTTPNotFound(text='{"error": "not_found"}', content_type="application/json")
    await records.audit(who, "protocol.read", patient_id=consultation.patient_id,
                        object_id=row.id, source=request.remote)
    return web.json_response({
        "consultation_id": consultation_id, "protocol_id": row.id, "version": row.version,
        "status": row.status, "data": row.data, "html": row.html,
    })


def add_routes(app: web.Application, records: Records) -> None:
    app[RECORDS_KEY] = records
    app.router.add_get("/healthz", health)
    app.router.add_get("/api/consultations/{consultation_id}/protocol", protocol)

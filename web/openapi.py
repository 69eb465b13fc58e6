"""The HTTP interface written down: every route, who may call it, its body and answers.

`document()` builds an OpenAPI 3.1 document from this table and the pydantic schemas in
clinic/messages; it is served at `/api/openapi.json`. tests/test_interface.py fails when
the app serves a route this table does not name, or the table names one it does not serve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel, TypeAdapter

from clinic.messages import http as bodies
from clinic.messages import responses as answers
from clinic.sign_in import SESSION_COOKIE
from protocol_writer.protocol import Protocol

ANYONE = "anyone"
SIGNED_IN = "patient, doctor, staff or operator"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    who: str
    body: type[BaseModel] | None = None
    ok: int = 200
    answer: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = field(default=())


ROUTES: tuple[Route, ...] = (
    # --- signing in ---
    Route(
        "POST",
        "/api/join/{token}/otp",
        "The link's open one-time code, or with resend a new one by SMS",
        ANYONE,
        bodies.RequestCode,
        200,
        answers.CodeSent,
        (400, 403, 429, 502),
        ("sign-in",),
    ),
    Route(
        "POST",
        "/api/join/{token}/session",
        "Check the code; uses the link up and sets the session cookie",
        ANYONE,
        bodies.VerifyCode,
        200,
        answers.SignedIn,
        (400, 403, 429),
        ("sign-in",),
    ),
    Route(
        "POST",
        "/api/sessions/doctor",
        "Console sign-in with login, password and (if set) authenticator code",
        ANYONE,
        bodies.DoctorSignIn,
        200,
        answers.SignedIn,
        (400, 403, 429),
        ("sign-in",),
    ),
    Route(
        "GET",
        "/api/me",
        "Who the session belongs to",
        SIGNED_IN,
        None,
        200,
        answers.Me,
        (401,),
        ("sign-in",),
    ),
    Route(
        "POST",
        "/api/sign-out",
        "End the session (cookie or bearer) and close its sockets on every node",
        ANYONE,
        bodies.NoFields,
        200,
        answers.SignedOut,
        (400,),
        ("sign-in",),
    ),
    # --- the record ---
    Route(
        "GET",
        "/api/consultations/{consultation_id}/protocol",
        "The protocol: the doctor gets the latest version, the patient the latest signed",
        "the consultation's doctor or patient; centre staff",
        None,
        200,
        answers.ProtocolVersion,
        (401, 404),
        ("record",),
    ),
    Route(
        "PUT",
        "/api/consultations/{consultation_id}/protocol",
        "Sign the reviewed protocol as a new immutable version",
        "the consultation's doctor",
        bodies.SignProtocol,
        201,
        answers.ProtocolVersion,
        (400, 401, 403, 404, 409, 422),
        ("record",),
    ),
    Route(
        "POST",
        "/api/consultations/{consultation_id}/protocol/preview",
        "The doctor's edited protocol rendered as it would be signed; nothing is stored",
        "the consultation's doctor",
        bodies.PreviewProtocol,
        200,
        answers.ProtocolPreview,
        (400, 401, 403, 404, 422),
        ("record",),
    ),
    Route(
        "GET",
        "/api/patients/{patient_id}/protocols",
        "The patient's signed protocols",
        "the patient, a parent, a doctor who treated them, their centre",
        None,
        200,
        None,
        (401, 404),
        ("record",),
    ),
    Route(
        "GET",
        "/api/patients/{patient_id}/audit",
        "Who looked at my card",
        "the patient (or a parent)",
        None,
        200,
        None,
        (401, 404),
        ("record",),
    ),
    Route(
        "GET",
        "/api/patients/{patient_id}/prescriptions",
        "The patient's prescriptions",
        "as for protocols",
        None,
        200,
        None,
        (401, 404),
        ("record",),
    ),
    # --- actions ---
    Route(
        "GET",
        "/api/consultations/{consultation_id}/actions",
        "What signing would do: renewals allowed or refused, the proposed visit",
        "the consultation's doctor",
        None,
        200,
        None,
        (401, 404),
        ("actions",),
    ),
    Route(
        "POST",
        "/api/consultations/{consultation_id}/appointment",
        "Book the visit the protocol asks for (the proposal, or a named slot)",
        "the consultation's doctor",
        bodies.BookVisit,
        201,
        None,
        (400, 401, 404, 409),
        ("actions",),
    ),
    Route(
        "GET",
        "/api/patients/{patient_id}/appointments",
        "Upcoming visits and free slots to move to",
        "as for protocols",
        None,
        200,
        None,
        (401, 404),
        ("actions",),
    ),
    Route(
        "DELETE",
        "/api/patients/{patient_id}/appointments/{slot_id}",
        "Cancel a visit",
        "the patient or a parent",
        None,
        200,
        None,
        (401, 404),
        ("actions",),
    ),
    Route(
        "POST",
        "/api/patients/{patient_id}/appointments/{slot_id}/move",
        "Move a visit to another free slot",
        "the patient or a parent",
        bodies.MoveVisit,
        200,
        None,
        (400, 401, 404, 409),
        ("actions",),
    ),
    Route(
        "GET",
        "/api/patients/{patient_id}/consilium",
        "Consilium decisions",
        "as for protocols",
        None,
        200,
        None,
        (401, 404),
        ("actions",),
    ),
    Route(
        "POST",
        "/api/patients/{patient_id}/consilium",
        "Enter a consilium decision (201 new, 200 a repeated external_id)",
        "staff of the patient's oncology centre",
        bodies.ConsiliumDecision,
        201,
        None,
        (400, 401, 403, 404),
        ("actions",),
    ),
    Route(
        "GET",
        "/api/centre/patients",
        "The patients the caller's centre follows",
        "oncology-centre staff",
        None,
        200,
        None,
        (401, 403),
        ("actions",),
    ),
    Route(
        "GET",
        "/api/centre/consilium",
        "The centre's consilium decisions",
        "oncology-centre staff",
        None,
        200,
        None,
        (401, 403),
        ("actions",),
    ),
    # --- chemotherapy check-ins ---
    Route(
        "GET",
        "/api/patients/{patient_id}/checkins",
        "The questionnaire, past answers and reviews",
        "as for protocols",
        None,
        200,
        None,
        (401, 404),
        ("check-ins",),
    ),
    Route(
        "POST",
        "/api/patients/{patient_id}/checkins",
        "Answer the questionnaire (keys and ranges: the GET's questions)",
        "the patient or a parent",
        bodies.CheckInAnswers,
        201,
        None,
        (400, 401, 404, 409),
        ("check-ins",),
    ),
    Route(
        "PUT",
        "/api/patients/{patient_id}/chemotherapy",
        "Start or end a course's check-ins",
        "a doctor or staff member of the patient's centre",
        bodies.Chemotherapy,
        200,
        None,
        (400, 401, 403, 404),
        ("check-ins",),
    ),
    Route(
        "GET",
        "/api/checkins/reviews",
        "Red check-ins of the caller's centre to review",
        "doctors and staff of an oncology centre",
        None,
        200,
        None,
        (401, 403),
        ("check-ins",),
    ),
    Route(
        "POST",
        "/api/checkins/{checkin_id}/review",
        "Mark a check-in reviewed",
        "a doctor who may read the patient's record",
        bodies.Review,
        200,
        None,
        (400, 401, 404, 409),
        ("check-ins",),
    ),
    # --- operators ---
    Route(
        "GET",
        "/api/audit",
        "The audit trail (`?patient_id=` for one patient)",
        "operators",
        None,
        200,
        None,
        (401, 403),
        ("operators",),
    ),
    Route(
        "GET",
        "/api/outbox",
        "Record pushes not yet delivered",
        "operators",
        None,
        200,
        None,
        (401, 403),
        ("operators",),
    ),
    Route(
        "GET",
        "/api/sms",
        "The SMS log (links and codes masked)",
        "operators",
        None,
        200,
        None,
        (401, 403),
        ("operators",),
    ),
    Route(
        "GET",
        "/api/organisations",
        "Polyclinics and oncology centres",
        "operators",
        None,
        200,
        None,
        (401, 403),
        ("operators",),
    ),
    Route(
        "GET",
        "/api/organisations/{organisation_id}/slots",
        "A polyclinic's schedule",
        "operators",
        None,
        200,
        None,
        (401, 403, 404),
        ("operators",),
    ),
    Route(
        "POST",
        "/api/organisations/{organisation_id}/slots",
        "Publish visit slots",
        "operators",
        bodies.PublishSlots,
        201,
        None,
        (400, 401, 403, 404),
        ("operators",),
    ),
    Route(
        "POST",
        "/api/sms/delivery-reports",
        "The SMS operator's delivery report",
        "the SMS operator (bearer TELEMED_SMS_WEBHOOK_TOKEN)",
        bodies.DeliveryReport,
        200,
        None,
        (400, 401, 404),
        ("operators",),
    ),
    # --- the interface and operations ---
    Route("GET", "/api/openapi.json", "This document", ANYONE, tags=("interface",)),
    Route("GET", "/healthz", "Liveness", ANYONE, tags=("operations",)),
    Route(
        "GET",
        "/readyz",
        "Readiness: 503 while draining or without a database",
        ANYONE,
        errors=(503,),
        tags=("operations",),
    ),
    Route(
        "GET",
        "/metrics",
        "Prometheus metrics",
        "bearer TELEMED_METRICS_TOKEN",
        errors=(401, 404),
        tags=("operations",),
    ),
    # --- pages (HTML) ---
    Route("GET", "/", "Leads a visitor: to their own page if signed in", ANYONE, tags=("pages",)),
    Route("GET", "/join/{token}", "The patient's page, from the SMS link", ANYONE, tags=("pages",)),
    Route("GET", "/patient", "The patient's page, signed in already", ANYONE, tags=("pages",)),
    Route("GET", "/console", "The doctor's console", ANYONE, tags=("pages",)),
    Route("GET", "/office", "The operators' and centre staff's page", ANYONE, tags=("pages",)),
)

HTTP_BODIES: tuple[type[BaseModel], ...] = tuple(
    {r.body: None for r in ROUTES if r.body is not None}
)

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    400: "bad_request: the body is not what the schema says (the message says where)",
    401: "unauthorized: no valid session or key",
    403: "forbidden, bad_origin, or a refused sign-in",
    404: "not_found: no such thing for this caller (someone else's looks the same)",
    409: "conflict",
    413: "too_large: over 1 MiB",
    415: "json_only: the body must be application/json",
    422: "the body is well-formed but refused (the message says why)",
    429: "rate_limited",
    502: "the SMS operator failed",
    503: "unavailable",
}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route."""
    schemas: dict[str, Any] = {}

    def ref(model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas[name] = definition
        schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    error = ref(answers.Error)
    # The protocol's own type is its schema, as when signing (protocol_writer/service.py).
    protocol = TypeAdapter(Protocol).json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(protocol.pop("$defs", {}))
    # Signing fills the header from the record, so a client need send none of it.
    protocol.pop("required", None)
    schemas["Protocol"] = protocol
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        responses: dict[str, Any] = {
            str(route.ok): {
                "description": STATUS_TEXT.get(route.ok, "OK"),
                **(
                    {"content": {"application/json": {"schema": ref(route.answer)}}}
                    if route.answer
                    else {}
                ),
            }
        }
        changes = route.method in ("POST", "PUT", "DELETE")
        for status in sorted({*route.errors, *((403, 415, 413) if changes else ())}):
            responses[str(status)] = {
                "description": STATUS_TEXT.get(status, "error"),
                "content": {"application/json": {"schema": error}},
            }
        operation: dict[str, Any] = {
            "summary": route.summary,
            "tags": list(route.tags),
            "description": f"Who may call it: {route.who}.",
            "parameters": [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 200},
                }
                for name in _path_parameters(route.path)
            ],
            "responses": responses,
        }
        if route.body is not None:
            operation["requestBody"] = {
                "required": route.method == "PUT",
                "content": {"application/json": {"schema": ref(route.body)}},
            }
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    _protocol_field(schemas["ProtocolVersion"], "The protocol (`html` is its rendering).")
    _protocol_field(
        schemas["SignProtocol"],
        "The edited protocol. Who, whom, when and the "
        "transcript (consultation_id, language, reason, patient_name, doctor_name, "
        "started_at, ended_at, transcript) are taken from the record whatever is "
        "sent here; numbers and texts are strict, nesting at most 16 levels.",
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "telemed",
            "version": "1",
            "description": f"Sessions: the `{SESSION_COOKIE}` cookie, or `Authorization: "
            "Bearer <session token or doctor's access key>`. Bodies are JSON only; "
            "state-changing requests from another origin are refused. The socket.io "
            "events are in docs/signaling.md.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "cookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"cookie": []}, {"bearer": []}, {}],
    }


def _protocol_field(schema: dict[str, Any], description: str) -> None:
    schema["properties"]["data"] = {
        "$ref": "#/components/schemas/Protocol",
        "description": description,
    }


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[DOCUMENT])


DOCUMENT = web.AppKey("openapi_document", dict)


def add_routes(app: web.Application) -> None:
    app[DOCUMENT] = document()  # built once: the table does not change while serving
    app.router.add_get("/api/openapi.json", openapi)

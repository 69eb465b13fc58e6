"""The shapes of the main HTTP answers, for the OpenAPI document (web/openapi.py).

The handlers build these bodies as plain dicts; the tests of each route read them back, and
tests/test_interface.py checks that the sign-in flow answers what is written here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class Error(BaseModel):
    """Every 4xx and 5xx answer of the API."""

    error: str  # a stable code: bad_request, json_only, bad_origin, unauthorized, ...
    message: str  # for people; never the input, never Python's internals


class CodeSent(BaseModel):
    challenge_id: str
    phone_ending: str  # the last two digits, so the patient knows which phone
    sent: bool  # a new SMS went out; false: the code sent before still works
    attempts_left: int
    retry_after_s: int  # until another code may be asked for; 0: now


class SignedIn(BaseModel):
    """Sets the HttpOnly `telemed_session` cookie; programs may use it as a bearer token."""

    role: Literal["patient", "doctor", "staff", "operator"]
    name: str


class Person(BaseModel):
    id: str
    name: str
    centre: bool  # followed by an oncology centre (a tumour board decides for them)


class Me(BaseModel):
    role: Literal["patient", "doctor", "staff", "operator"]
    id: str
    name: str
    centre: bool  # followed by an oncology centre
    children: list[Person]  # the records a parent may switch to


class SignedOut(BaseModel):
    signed_out: Literal[True]


class ProtocolPreview(BaseModel):
    html: str  # the protocol as the patient would read it once signed


class ProtocolVersion(BaseModel):
    consultation_id: str
    protocol_id: str
    version: int
    status: Literal["draft", "signed"]
    # The structured protocol: header (from the record), complaints, anamnesis, vitals,
    # diagnosis, diagnosis_suggestions, medications, recommendations, sick_leave, triage,
    # follow_up, transcript; each finding names the transcript segments it came from.
    data: dict[str, Any]
    html: str
    signed_at: str | None
    supersedes_id: str | None

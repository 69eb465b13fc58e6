"""The JSON bodies of the HTTP routes that change something, one schema each.

Types and bounds live here; what only the domain can judge (is this slot free, is 39.5 °C a
red flag) stays with the domain, which receives values of the right type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from clinic.messages.base import Code, Id, Json, Message, ShortText, bounded_depth

Date = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class NoFields(Message):
    """`{}`: the route needs no fields, but a body is JSON like every other."""


class RequestCode(Message):
    """`{}` for the link's open code (opening the link again sends no SMS), or
    `{"resend": true}` for a new one."""

    resend: bool = False


class VerifyCode(Message):
    challenge_id: Id
    code: Code


class DoctorSignIn(Message):
    login: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    code: Code | None = None  # the authenticator's, for doctors with a second factor


class SignProtocol(Message):
    based_on_version: int = Field(ge=1, le=1_000_000)
    # The protocol as the console edits it (see GET .../protocol); its structure is checked
    # against the Protocol type when signing, and who, whom and when come from the record.
    data: Annotated[dict[str, Json], AfterValidator(bounded_depth)]


class PreviewProtocol(Message):
    # The protocol as the console edits it, rendered as it would be signed; nothing stored.
    data: Annotated[dict[str, Json], AfterValidator(bounded_depth)]


class BookVisit(Message):
    slot_id: Id | None = None  # the proposal when omitted


class MoveVisit(Message):
    to_slot_id: Id


class ConsiliumDecision(Message):
    decided_on: Date
    decision: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    external_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class PublishSlots(Message):
    doctor: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    specialty: Annotated[str, StringConstraints(max_length=64)] = ""
    starts: list[datetime] = Field(min_length=1, max_length=500)
    minutes: int = Field(default=20, ge=5, le=240)
    room: Annotated[str, StringConstraints(max_length=100)] = ""


class DeliveryReport(Message):
    id: Id
    status: Literal["delivered", "failed"]
    error: ShortText | None = None


# The questionnaire's keys and ranges are the domain's registry (actions/checkin.py);
# the body is answers that are true/false or finite numbers.
class CheckInAnswers(Message):
    model_config = Message.model_config | {"extra": "allow"}
    __pydantic_extra__: dict[str, bool | float] = Field(init=False)


class Chemotherapy(Message):
    active: bool


class Review(Message):
    note: Annotated[str, StringConstraints(max_length=4000)] = ""

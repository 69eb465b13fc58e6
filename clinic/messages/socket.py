"""The socket.io events a client may send, one schema per event (docs/signaling.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints

from clinic.domain import CallMode, Reason
from clinic.messages.base import Id, Json, Message, bounded_depth

Sdp = Annotated[str, StringConstraints(min_length=1, max_length=60_000)]


class ConnectAuth(Message):
    """The socket.io connection's `auth`: a session token, or a doctor's access key.

    Other fields are ignored rather than refused: clients have sent `role` beside the key."""

    model_config = Message.model_config | {"extra": "ignore"}
    session: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    key: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class JoinQueue(Message):
    """`queue.join`: the reason defaults to the invitation's; urgency is never asked for."""

    reason: Reason | None = None
    mode: CallMode = CallMode.AUDIO


class ListQueue(Message):
    """`queue.list`: no fields."""


class Take(Message):
    """`consultation.take`: the named patient, or the longest-waiting one."""

    consultation_id: Id | None = None


class Offer(Message):
    consultation_id: Id
    target: Literal["worker", "peer"]
    sdp: Sdp
    type: Literal["offer"] = "offer"


class Answer(Message):
    consultation_id: Id
    target: Literal["peer"]  # only the worker answers the worker's own offers
    sdp: Sdp
    type: Literal["answer"] = "answer"


class Ice(Message):
    consultation_id: Id
    target: Literal["worker", "peer"]
    # An RTCIceCandidateInit: relayed as it is to the peer, parsed by the worker.
    candidate: Annotated[dict[str, Json], Field(max_length=16), AfterValidator(bounded_depth)]


class Hangup(Message):
    consultation_id: Id


# Every event a client may send, and the schema of its payload.
CLIENT_EVENTS: dict[str, type[Message]] = {
    "queue.join": JoinQueue,
    "queue.list": ListQueue,
    "consultation.take": Take,
    "offer": Offer,
    "answer": Answer,
    "ice": Ice,
    "hangup": Hangup,
}

# Every event the server sends (checked against the code and docs/signaling.md by a test).
SERVER_EVENTS: tuple[str, ...] = (
    "queue.joined",
    "queue.position",
    "queue.updated",
    "consultation.started",
    "consultation.resumed",
    "peer.rejoined",
    "offer",
    "answer",
    "ice",
    "caption",
    "consultation.ended",
    "protocol.ready",
    "protocol.signed",
    "media.restart",
    "session.ended",
    "suggestions",
    "draft.live",
    "error",
)


def schema_of(event: str) -> dict[str, Any]:
    return CLIENT_EVENTS[event].model_json_schema()

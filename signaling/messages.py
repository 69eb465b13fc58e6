"""Validation of incoming socket.io payloads into typed messages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinic.domain import CallMode, Reason

TARGETS = ("worker", "peer")


class BadMessage(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _obj(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadMessage("bad_payload", "payload must be a JSON object")
    return data


def _str(data: dict[str, Any], key: str, *, required: bool = True, limit: int = 200) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadMessage("bad_payload", f"'{key}' must be a non-empty string of at most {limit}")
    return value


@dataclass(frozen=True)
class JoinQueue:
    reason: Reason | None
    mode: CallMode

    @classmethod
    def parse(cls, data: Any) -> JoinQueue:
        d = _obj(data)
        reason = _str(d, "reason", required=False, limit=32)
        mode = _str(d, "mode", required=False, limit=8) or CallMode.AUDIO.value
        try:
            return cls(Reason(reason) if reason else None, CallMode(mode))
        except ValueError as exc:
            raise BadMessage("bad_payload", str(exc)) from exc


@dataclass(frozen=True)
class Take:
    consultation_id: str | None

    @classmethod
    def parse(cls, data: Any) -> Take:
        return cls(_str(_obj(data), "consultation_id", required=False, limit=36))


@dataclass(frozen=True)
class Description:
    """An `offer` or `answer`."""

    consultation_id: str
    target: str
    sdp: str
    type: str

    @classmethod
    def parse(cls, data: Any, expected_type: str) -> Description:
        d = _obj(data)
        target = _str(d, "target", limit=8)
        if target not in TARGETS:
            raise BadMessage("bad_payload", "'target' must be 'worker' or 'peer'")
        sdp_type = _str(d, "type", required=False, limit=16) or expected_type
        if sdp_type != expected_type:
            raise BadMessage("bad_payload", f"'type' must be '{expected_type}'")
        return cls(
            consultation_id=_str(d, "consultation_id", limit=36),  # type: ignore[arg-type]
            target=target,
            sdp=_str(d, "sdp", limit=60_000),  # type: ignore[arg-type]
            type=sdp_type,
        )


@dataclass(frozen=True)
class Ice:
    consultation_id: str
    target: str
    candidate: dict[str, Any]

    @classmethod
    def parse(cls, data: Any) -> Ice:
        d = _obj(data)
        target = _str(d, "target", limit=8)
        if target not in TARGETS:
            raise BadMessage("bad_payload", "'target' must be 'worker' or 'peer'")
        candidate = d.get("candidate")
        if not isinstance(candidate, dict):
            raise BadMessage("bad_payload", "'candidate' must be an RTCIceCandidateInit object")
        return cls(_str(d, "consultation_id", limit=36), target, candidate)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Hangup:
    consultation_id: str

    @classmethod
    def parse(cls, data: Any) -> Hangup:
        return cls(_str(_obj(data), "consultation_id", limit=36))  # type: ignore[arg-type]

"""The strict base of every client message and the one function that reads them."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

# jiter, pydantic's JSON reader, refuses nesting deeper than this (its own recursion limit);
# nothing we accept is more than a few levels deep.
MAX_ERRORS_SHOWN = 3


class BadPayload(ValueError):
    """The message is not what its schema says; `message` is safe to show the sender."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Message(BaseModel):
    """Strict: no coercion ("21" is not 21, 5 is not "5"), no unknown fields, no inf/NaN."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False,
                              frozen=True)


# Strings of bounded length (JSON mode already refuses lone surrogates).
Id = Annotated[str, StringConstraints(min_length=1, max_length=36)]  # a uuid, or any id
ShortText = Annotated[str, StringConstraints(max_length=200)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=12)]

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], raw: bytes | str) -> M:
    """`raw` JSON text as `model`, or BadPayload saying what is wrong and where.

    Reading the text (not already-decoded Python values) is deliberate: pydantic's JSON mode
    refuses what Python's json module lets through (lone surrogates, nesting deep enough to
    exhaust the stack) with an error instead of an exception from deep inside.
    """
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise BadPayload(describe(exc)) from None


def describe(exc: ValidationError) -> str:
    """Where and what, for the sender; never the input itself or Python's internals."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False)[:MAX_ERRORS_SHOWN]:
        where = ".".join(str(p) for p in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else str(error["msg"]))
    more = exc.error_count() - MAX_ERRORS_SHOWN
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")

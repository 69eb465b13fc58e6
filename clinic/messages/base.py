"""The strict base of every client message and the one function that reads them."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from typing_extensions import TypeAliasType

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

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


# Strings of bounded length (JSON mode already refuses lone surrogates).
Id = Annotated[str, StringConstraints(min_length=1, max_length=36)]  # a uuid, or any id
ShortText = Annotated[str, StringConstraints(max_length=200)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=12)]

# Free-form JSON (a protocol being signed, an ICE candidate): pydantic's JsonValue, except
# that a number must be finite (1e999 reads as infinity, which no record can store).
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Json = TypeAliasType(  # type: ignore[misc]
    "Json",
    Union[  # noqa: UP007 (the forward references are strings, which `|` cannot join)
        bool,
        int,
        FiniteFloat,
        str,
        list["Json"],  # type: ignore[misc]
        dict[str, "Json"],  # type: ignore[misc]
        None,
    ],
)
MAX_DEPTH = 16  # free-form JSON nested deeper than this is refused


def bounded_depth(value: Any, limit: int = MAX_DEPTH) -> Any:
    """`value` if its nesting is at most `limit`; walked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                raise ValueError(f"nested deeper than {limit} levels")
            stack.extend(
                (v, depth + 1) for v in (item.values() if isinstance(item, dict) else item)
            )
    return value


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
    """Where and what, for the sender; never the input itself or Python's internals.

    A value matching no member of a union (free-form JSON) fails once per member; those
    failures are told as one.
    """
    grouped: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(p) for p in error["loc"] if not _is_union_member(p))
        grouped.setdefault(where, []).append(str(error["msg"]))
    parts = []
    for where, messages in grouped.items():
        message = (
            messages[0]
            if len(messages) == 1
            else next((m for m in messages if "finite" in m), "not a value of an accepted type")
        )
        parts.append(f"{where}: {message}" if where else message)
    more = len(parts) - MAX_ERRORS_SHOWN
    return "; ".join(parts[:MAX_ERRORS_SHOWN]) + (f" (and {more} more)" if more > 0 else "")


def _is_union_member(part: str | int) -> bool:
    """pydantic names the union member that failed inside the location ("int", "list[...]")."""
    return isinstance(part, str) and (
        part in {"bool", "int", "float", "str", "none"}
        or "[" in part
        or part.startswith("function-")
    )

"""Room names. A person's room follows them across reconnects (and, with Redis, nodes)."""

from clinic.domain import Role

DOCTORS = "doctors"


def person(role: Role, person_id: str) -> str:
    return f"{role.value}:{person_id}"

"""The one way a resource enters one of our transaction Bundles.

Every resource carries our identifier and an id derived from it, so pushing the same
Bundle twice changes nothing the second time: a conditional create makes it once, a
conditional update rewrites the same resource, and a resource without an identifier is put
under its derived id.
"""

from __future__ import annotations

import uuid
from enum import Enum
from typing import Any

ID_SYSTEM = "urn:telemed:"


class Write(Enum):
    CREATE = "create"  # POST with ifNoneExist on our identifier
    UPDATE = "update"  # PUT on our identifier: one resource whatever happened to it
    PUT = "put"  # no identifier to match on: PUT under the id derived from ours


def identifier_system(kind: str) -> str:
    return f"{ID_SYSTEM}{kind.lower()}"


def entry(
    namespace: uuid.UUID,
    kind: str,
    value: str,
    resource: dict[str, Any],
    write: Write = Write.CREATE,
    *,
    single_identifier: bool = False,
) -> dict[str, Any]:
    """A Bundle entry for `resource` of type `kind` identified by `value` in our system.

    `single_identifier` is for resources whose identifier is one value, not a list
    (Composition).
    """
    system = identifier_system(kind)
    resource_id = uuid.uuid5(namespace, f"{kind}/{value}")
    full_url = f"urn:uuid:{resource_id}"
    if write is Write.PUT:
        return {
            "fullUrl": full_url,
            "resource": {"resourceType": kind, "id": str(resource_id), **resource},
            "request": {"method": "PUT", "url": f"{kind}/{resource_id}"},
        }
    identifier: Any = {"system": system, "value": value}
    request = (
        {"method": "PUT", "url": f"{kind}?identifier={system}|{value}"}
        if write is Write.UPDATE
        else {"method": "POST", "url": kind, "ifNoneExist": f"identifier={system}|{value}"}
    )
    return {
        "fullUrl": full_url,
        "resource": {
            "resourceType": kind,
            "identifier": identifier if single_identifier else [identifier],
            **resource,
        },
        "request": request,
    }


def transaction(system: str, value: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "identifier": {"system": system, "value": value},
        "entry": entries,
    }


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Raises if the Bundle or any resource in it is not valid FHIR (R4B models)."""
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)

"""Medical records a signed protocol is pushed to: the built-in one, or any FHIR server."""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp

from clinic.records import Records
from protocol_writer.fhir import PROTOCOL_BUNDLE


class RecordUnavailable(Exception):
    """The record could not take the push now; the outbox retries it later."""


class MedicalRecord(Protocol):
    async def push(self, bundle: dict[str, Any], key: str) -> str:
        """Stores the Bundle once per key and returns the record's reference for it."""
        ...


class BuiltInRecord:
    """The embedded default: the platform's own database, which the patient's page reads."""

    def __init__(self, records: Records) -> None:
        self._records = records

    async def push(self, bundle: dict[str, Any], key: str) -> str:
        patient = next(
            e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
        )
        patient_id = patient["identifier"][0]["value"]
        # A visit's Bundle records no protocol; a protocol's is identified by its version.
        identifier = bundle["identifier"]
        protocol_id = identifier["value"] if identifier["system"] == PROTOCOL_BUNDLE else None
        return await self._records.store_record_document(key, patient_id, protocol_id, bundle)


class FhirRestRecord:
    """POSTs the transaction Bundle to a FHIR server's base URL.

    Every entry is a conditional create (or an update with a fixed id), so a push repeated
    after a lost response creates nothing new on the server.
    """

    def __init__(self, base_url: str, token: str | None = None, timeout_s: float = 30) -> None:
        self._url = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def push(self, bundle: dict[str, Any], key: str) -> str:
        headers = {
            "Content-Type": "application/fhir+json",
            "Accept": "application/fhir+json",
            "X-Request-Id": key,
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as http,
                http.post(self._url, json=bundle, headers=headers) as response,
            ):
                body = await response.text()
                if response.status >= 300:
                    raise RecordUnavailable(f"FHIR server answered {response.status}: {body[:300]}")
                return str(response.headers.get("Location") or key)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RecordUnavailable(f"FHIR server unreachable: {exc}") from exc

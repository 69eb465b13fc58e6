"""The interface is written down, and the writing cannot fall behind the code: a route the
app serves that the OpenAPI document lacks, or a socket event docs/signaling.md does not
describe, fails here."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
from openapi_spec_validator import validate

from clinic.messages.socket import CLIENT_EVENTS, SERVER_EVENTS
from tests.conftest import Platform
from web.openapi import ROUTES

ROOT = Path(__file__).parent.parent
SIGNALING_DOC = (ROOT / "docs" / "signaling.md").read_text()


def _served(platform: Platform) -> set[tuple[str, str]]:
    served = set()
    for route in platform.server.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if (
            route.method in ("HEAD", "*")
            or path.startswith(("/socket.io", "/static"))
            or "prefix" in info
        ):
            continue
        served.add((route.method, path))
    return served


async def test_the_openapi_document_covers_every_route(platform: Platform) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{platform.url}api/openapi.json") as response,
    ):
        assert response.status == 200
        document = await response.json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # against the OpenAPI 3.1 specification's own schema
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    served = _served(platform)
    assert served - documented == set(), "served but not in the OpenAPI document"
    assert documented - served == set(), "documented but not served"
    assert documented == {(r.method, r.path) for r in ROUTES}
    # Every body that changes something is described by its schema, and every schema
    # a reference points at is in the document.
    text = str(document)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put"):
                assert "requestBody" in operation, (method, path)
                assert "415" in operation["responses"] and "403" in operation["responses"]
            assert operation["description"].startswith("Who may call it")
    for name in re.findall(r"#/components/schemas/(\w+)", text):
        assert name in document["components"]["schemas"], name
    sign_in = document["paths"]["/api/sessions/doctor"]["post"]
    schema = document["components"]["schemas"]["DoctorSignIn"]
    assert sign_in["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "DoctorSignIn"
    )
    assert set(schema["required"]) == {"login", "password"}
    assert schema["additionalProperties"] is False


def _documented_events(section: str) -> set[str]:
    """The event names in the first column of a table under `section`."""
    part = SIGNALING_DOC.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in part.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([\w.]+)`", line.split("|")[1]))
    return names


def test_the_signaling_document_covers_every_event() -> None:
    assert _documented_events("Client to server") == set(CLIENT_EVENTS)
    assert _documented_events("Server to client") == set(SERVER_EVENTS)
    # Every event name the code emits is in that list (a new one cannot slip past).
    emitted = set()
    for package in ("signaling", "web", "media", "actions", "protocol_writer"):
        for source in (ROOT / package).rglob("*.py"):
            emitted.update(re.findall(r"""\.emit\(\s*["']([\w.]+)["']""", source.read_text()))
    emitted.discard("telemed.unreadable")
    assert emitted <= set(SERVER_EVENTS), emitted - set(SERVER_EVENTS)


def test_the_signaling_document_names_every_error_code() -> None:
    source = (ROOT / "signaling" / "server.py").read_text()
    codes = set(re.findall(r"""BadMessage\(\s*["'](\w+)["']""", source))
    codes.add("too_large")
    table = SIGNALING_DOC.split("## Error codes", 1)[1]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))
    assert codes <= documented, codes - documented

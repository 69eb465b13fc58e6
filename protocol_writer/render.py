"""Protocols to HTML (console and record) and plain text, in Russian or English."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from protocol_writer.cues import vocabulary
from protocol_writer.protocol import Protocol
from protocol_writer.vital_signs import vital_signs


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("protocol_writer", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["clock"] = _clock
    return environment


def _clock(iso: str, zone: str | None) -> str:
    """A moment as people read it: in the clinic's time zone when known, else in UTC."""
    if zone is None:
        return f"{iso[:16].replace('T', ' ')} UTC"
    local = datetime.fromisoformat(iso).astimezone(ZoneInfo(zone))
    return local.strftime("%d.%m.%Y %H:%M ") + (local.tzname() or zone)


def labels(language: str) -> dict[str, Any]:
    table = vocabulary("labels")
    found = dict(table.get(language, table["en"]))
    found["vital_names"] = {name: sign.label(language) for name, sign in vital_signs().items()}
    return found


def _render(
    template: str, protocol: Protocol, status: str, zone: str | None = None, patient: bool = False
) -> str:
    return (
        _environment()
        .get_template(template)
        .render(p=protocol, t=labels(protocol.language), status=status, zone=zone, patient=patient)
    )


def render_html(protocol: Protocol, status: str = "draft", zone: str | None = None) -> str:
    """What the doctor and the record read; times in `zone` (the clinic's), else in UTC."""
    return _render("protocol.html.j2", protocol, status, zone)


def render_for_patient(protocol: Protocol, zone: str) -> str:
    """What the patient reads: the findings in the clinic's time, without the recogniser's
    transcript, the quoted history or the machine's ranked suggestions."""
    return _render("protocol.html.j2", protocol, "signed", zone, patient=True)


def render_text(protocol: Protocol, status: str = "draft") -> str:
    return _render("protocol.txt.j2", protocol, status)

"""Protocols to HTML (console and record) and plain text, in Russian or English."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from protocol_writer.cues import vocabulary
from protocol_writer.protocol import Protocol
from protocol_writer.vital_signs import vital_signs


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("protocol_writer", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def labels(language: str) -> dict[str, Any]:
    table = vocabulary("labels")
    found = dict(table.get(language, table["en"]))
    found["vital_names"] = {name: sign.label(language) for name, sign in vital_signs().items()}
    return found


def _render(template: str, protocol: Protocol, status: str) -> str:
    return (
        _environment()
        .get_template(template)
        .render(p=protocol, t=labels(protocol.language), status=status)
    )


def render_html(protocol: Protocol, status: str = "draft") -> str:
    return _render("protocol.html.j2", protocol, status)


def render_text(protocol: Protocol, status: str = "draft") -> str:
    return _render("protocol.txt.j2", protocol, status)

"""The patient's join page and the doctor's console, rendered with Jinja2."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from aiohttp import web

from clinic.settings import Settings
from protocol_writer.vital_signs import registry_for_editor

STATIC = Path(__file__).parent / "static"
PAGES_SETTINGS = web.AppKey("pages_settings", Settings)
ENVIRONMENT = web.AppKey("pages_jinja", jinja2.Environment)

# The pages' words in each language: data, so translators need not touch code.
TEXT: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).parent / "text.json").read_text(encoding="utf-8")
)


async def join_page(request: web.Request) -> web.Response:
    language = request.query.get("lang", "ru")
    if language not in TEXT:
        language = "ru"
    return _render(
        request,
        "patient.html.j2",
        language=language,
        t=TEXT[language],
        token=request.match_info["token"],
    )


async def console_page(request: web.Request) -> web.Response:
    return _render(
        request,
        "console.html.j2",
        language="en",
        t=TEXT["en"],
        vital_signs=json.dumps(registry_for_editor("en"), ensure_ascii=False),
    )


async def office_page(request: web.Request) -> web.Response:
    """Operators (SMS log, schedules) and oncology-centre staff (consilium decisions)."""
    return _render(request, "office.html.j2", language="en", t=TEXT["en"])


def _render(request: web.Request, template: str, **context: object) -> web.Response:
    settings = request.app[PAGES_SETTINGS]
    html = (
        request.app[ENVIRONMENT]
        .get_template(template)
        .render(ice_servers=list(settings.ice_servers), **context)
    )
    return web.Response(
        text=html,
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


def add_routes(app: web.Application, settings: Settings) -> None:
    app[PAGES_SETTINGS] = settings
    app[ENVIRONMENT] = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"), autoescape=True
    )
    app.router.add_get("/join/{token}", join_page)
    app.router.add_get("/console", console_page)
    app.router.add_get("/office", office_page)
    app.router.add_static("/static", STATIC)

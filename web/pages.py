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

# The pages' words, one catalogue per language (web/catalogue/LANG.json), a section per page:
# data, so translators need not touch code. tests/test_catalogue.py holds the languages equal.
LANGUAGES = ("ru", "en")
CATALOGUE: dict[str, dict[str, dict[str, str]]] = {
    language: json.loads(
        (Path(__file__).parent / "catalogue" / f"{language}.json").read_text(encoding="utf-8")
    )
    for language in LANGUAGES
}


async def join_page(request: web.Request) -> web.Response:
    language = request.query.get("lang", "ru")
    if language not in CATALOGUE:
        language = "ru"
    return _render(
        request,
        "patient.html.j2",
        language=language,
        t=CATALOGUE[language]["patient"],
        token=request.match_info["token"],
    )


# The doctor's language: Russian unless they chose another, and the choice is kept.
CONSOLE_LANGUAGE_COOKIE = "telemed_console_lang"


async def console_page(request: web.Request) -> web.Response:
    chosen = request.query.get("lang")
    language = chosen or request.cookies.get(CONSOLE_LANGUAGE_COOKIE, "ru")
    if language not in CATALOGUE:
        language = "ru"
    response = _render(
        request,
        "console.html.j2",
        language=language,
        t=CATALOGUE[language]["console"],
        timezone=request.app[PAGES_SETTINGS].timezone,
        vital_signs=json.dumps(registry_for_editor(language), ensure_ascii=False),
    )
    if chosen == language:
        response.set_cookie(
            CONSOLE_LANGUAGE_COOKIE,
            language,
            max_age=365 * 24 * 3600,
            path="/console",
            samesite="Strict",
            secure=request.secure,
        )
    return response


async def office_page(request: web.Request) -> web.Response:
    """Operators (SMS log, schedules) and oncology-centre staff (consilium decisions)."""
    return _render(request, "office.html.j2", language="en", t=CATALOGUE["en"]["patient"])


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

"""The patient's join page and the doctor's console, rendered with Jinja2."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
from aiohttp import web

from clinic.domain import Role
from protocol_writer.render import labels
from protocol_writer.vital_signs import registry_for_editor
from web.language import chosen, keep
from web.platform import PLATFORM
from web.sessions import session_principal

STATIC = Path(__file__).parent / "static"
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

# Where the root page sends someone already signed in.
ROLE_PAGES = {
    Role.PATIENT: "/patient",
    Role.DOCTOR: "/console",
    Role.STAFF: "/office",
    Role.OPERATOR: "/office",
}


async def join_page(request: web.Request) -> web.Response:
    """The patient's page: from the SMS link, or at `/patient` with a session already."""
    language = chosen(request, CATALOGUE)
    return _render(
        request,
        "patient.html.j2",
        language=language,
        t=CATALOGUE[language]["patient"],
        token=request.match_info.get("token", ""),
        zone=request.app[PLATFORM].settings.timezone,
    )


async def root_page(request: web.Request) -> web.Response:
    """Leads whoever arrives: someone signed in to their own page, others to a choice."""
    who = await session_principal(request)
    if who is not None:
        raise web.HTTPFound(ROLE_PAGES[who.role])
    language = chosen(request, CATALOGUE)
    return _render(request, "root.html.j2", language=language, t=CATALOGUE[language]["root"])


async def console_page(request: web.Request) -> web.Response:
    """The doctor's console: Russian unless the doctor chose another language (kept)."""
    language = chosen(request, CATALOGUE)
    return _render(
        request,
        "console.html.j2",
        language=language,
        t=CATALOGUE[language]["console"],
        timezone=request.app[PLATFORM].settings.timezone,
        vital_signs=json.dumps(registry_for_editor(language), ensure_ascii=False),
        complaint_names=json.dumps(labels(language)["complaint_names"], ensure_ascii=False),
    )


async def office_page(request: web.Request) -> web.Response:
    """Operators (SMS log, schedules) and oncology-centre staff (consilium decisions)."""
    return _render(request, "office.html.j2", language="en", t=CATALOGUE["en"]["patient"])


def _render(request: web.Request, template: str, **context: object) -> web.Response:
    settings = request.app[PLATFORM].settings
    html = (
        request.app[ENVIRONMENT]
        .get_template(template)
        .render(ice_servers=list(settings.ice_servers), **context)
    )
    response = web.Response(
        text=html,
        content_type="text/html",
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
    keep(request, response, str(context["language"]))
    return response


def add_routes(app: web.Application) -> None:
    app[ENVIRONMENT] = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"), autoescape=True
    )
    app.router.add_get("/", root_page)
    app.router.add_get("/patient", join_page)
    app.router.add_get("/join/{token}", join_page)
    app.router.add_get("/console", console_page)
    app.router.add_get("/office", office_page)
    app.router.add_static("/static", STATIC)

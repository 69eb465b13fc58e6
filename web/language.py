"""The language of the pages: Russian unless the visitor chose another (`?lang=`), and then
kept in a cookie, so the choice follows them to every page and every later visit."""

from __future__ import annotations

from collections.abc import Collection

from aiohttp import web

COOKIE = "telemed_lang"
DEFAULT = "ru"
YEAR_S = 365 * 24 * 3600


def chosen(request: web.Request, languages: Collection[str]) -> str:
    for candidate in (request.query.get("lang"), request.cookies.get(COOKIE)):
        if candidate is not None and candidate in languages:
            return candidate
    return DEFAULT


def keep(request: web.Request, response: web.StreamResponse, language: str) -> None:
    """Remembers a choice made with `?lang=`; nothing secret, so readable by the pages."""
    if request.query.get("lang") == language and request.cookies.get(COOKIE) != language:
        response.set_cookie(
            COOKIE, language, max_age=YEAR_S, path="/", samesite="Lax", secure=request.secure
        )

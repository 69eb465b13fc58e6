"""Security headers on every response: a strict Content-Security-Policy and the usual rest."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

log = logging.getLogger(__name__)

# Pages load scripts, styles and media only from the platform itself; nothing inline runs.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """API callers get JSON errors even from the router (no such route, wrong method)."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if (
            not request.path.startswith("/api/")
            or exc.content_type == "application/json"
            or exc.status < 400
        ):
            raise
        code = {
            404: "not_found",
            405: "method_not_allowed",
            413: "too_large",
            415: "json_only",
        }.get(exc.status, "bad_request")
        return web.json_response(
            {"error": code, "message": exc.reason},
            status=exc.status,
            headers={k: v for k, v in exc.headers.items() if k.lower() == "allow"},
        )


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer carries the headers, errors included; nothing unexpected leaks out."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _decorate(request, exc)
        raise
    except Exception:
        # Logged here with the route only (never a body: it may hold medical text); the
        # caller learns that it failed, not how.
        log.exception(
            "unhandled_error method=%s route=%s",
            request.method,
            request.match_info.route.resource.canonical
            if request.match_info.route.resource
            else "?",
        )
        response = web.json_response(
            {"error": "internal", "message": "the server failed; it has been logged"}, status=500
        )
    if not response.prepared:  # websocket upgrades are already on the wire
        _decorate(request, response)
    return response


def _decorate(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(HEADERS)
    if request.secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if request.path.startswith("/api/") or response.status >= 400:
        response.headers["Cache-Control"] = "no-store"  # medical data is never cached


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


def strict_requests(
    public_base_url: str,
) -> Middleware:
    """State-changing API requests: from our own origin only, and JSON only.

    A page on another site (a sibling subdomain included: SameSite=Strict lets its requests
    carry our cookie) is refused by its `Origin` or `Sec-Fetch-Site`. Programs send neither
    and are let through to authenticate with their bearer token. JSON only: any web page can
    send a `text/plain` or form body without asking; `application/json` needs our consent.
    """
    ours = _origin(public_base_url)

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method in UNSAFE_METHODS and request.path.startswith("/api/"):
            if not _same_origin(request, ours):
                raise _error(
                    web.HTTPForbidden, "bad_origin", "requests from another site are refused"
                )
            if request.method in WITH_BODY and request.content_type != "application/json":
                raise _error(
                    web.HTTPUnsupportedMediaType,
                    "json_only",
                    "the body must be JSON (Content-Type: application/json)",
                )
        return await handler(request)

    return middleware


def _same_origin(request: web.Request, ours: str) -> bool:
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin in (ours, f"{request.scheme}://{request.host}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _error(kind: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    return kind(
        text=json.dumps({"error": code, "message": message}), content_type="application/json"
    )

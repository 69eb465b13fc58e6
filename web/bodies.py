"""Reading a request's JSON body by its schema (clinic/messages/http.py)."""

from __future__ import annotations

import json
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel

from clinic.messages.base import BadPayload, parse

M = TypeVar("M", bound=BaseModel)


async def body(request: web.Request, model: type[M]) -> M:
    """The body as `model`, or 400 `bad_request` saying what is wrong and where.

    The media type (application/json only, 415 otherwise) and the size (413) are checked
    before any handler runs (web/security.py, the app's client_max_size); an empty body
    reads as `{}`, so a route with no required fields may be called without one.
    """
    raw = await request.read()
    try:
        return parse(model, raw or b"{}")
    except BadPayload as exc:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": "bad_request", "message": exc.message}, ensure_ascii=False),
            content_type="application/json",
        ) from None

"""Access log lines with the secrets taken out: link tokens travel in URL paths."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

_LINK = re.compile(r"/join/[^/?#]+")


def redact(path: str) -> str:
    return _LINK.sub("/join/<link>", path)


class RedactingAccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "http method=%s path=%s status=%s ms=%.1f",
            request.method,
            redact(request.path),
            response.status,
            time * 1000,
        )

"""What operators and orchestrators poll: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from clinic.time import aware
from clinic.time import now as clock
from web.platform import PLATFORM, SIGNALING


async def health(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """Readiness: the database answers and the process takes new consultations."""
    records = request.app[PLATFORM].records
    if request.app[SIGNALING].draining:
        return web.json_response({"status": "draining"}, status=503)
    try:
        await records.ping()
    except (SQLAlchemyError, OSError) as exc:
        return web.json_response(
            {"status": "database unavailable", "error": exc.__class__.__name__}, status=503
        )
    return web.json_response({"status": "ready"})


def metrics_allowed(request: web.Request, token: str | None) -> bool:
    """With TELEMED_METRICS_TOKEN, only `Authorization: Bearer <token>`; without one, only a
    scraper on this machine that came through no proxy (a proxy's requests all come from
    its own address, which may well be this machine)."""
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return request.remote in ("127.0.0.1", "::1") and not any(
        h in request.headers for h in ("X-Forwarded-For", "Forwarded", "X-Real-IP")
    )


def refuse_metrics(token: str | None) -> web.HTTPException:
    if token:
        return web.HTTPUnauthorized(
            text='{"error": "unauthorized", "message": "the metrics token is needed"}',
            content_type="application/json",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return web.HTTPNotFound(
        text='{"error": "not_found", "message": "set '
        'TELEMED_METRICS_TOKEN to scrape from elsewhere"}',
        content_type="application/json",
    )


async def metrics(request: web.Request) -> web.Response:
    platform = request.app[PLATFORM]
    records, media, m = platform.records, platform.media, platform.metrics
    token = platform.settings.metrics_token
    if not metrics_allowed(request, token):
        raise refuse_metrics(token)
    waiting = await records.waiting()
    m.queue_length.clear()
    for consultation, _ in waiting:
        m.queue_length.labels(consultation.reason).inc()
    now = clock()
    m.queue_oldest_wait.set(
        max(((now - aware(c.queued_at)).total_seconds() for c, _ in waiting), default=0)
    )
    m.consultations_active.set(await records.count_active_consultations())
    m.worker_sides.set(media.active_legs)
    m.checkin_reviews_overdue.set(await records.count_reviews_overdue())
    m.outbox_backlog.clear()
    for entry in await records.outbox("pending"):
        m.outbox_backlog.labels(entry.target).inc()
    return web.Response(
        body=m.exposition(),
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/metrics", metrics)

"""What operators and orchestrators poll: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from clinic.metrics import Metrics
from clinic.records import Records
from clinic.time import aware
from clinic.time import now as clock
from media.worker import MediaWorker
from signaling.server import SignalingServer

KEYS = web.AppKey("operations", tuple)


async def health(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    """Readiness: the database answers and the process takes new consultations."""
    records, _, signaling, _ = request.app[KEYS]
    if signaling.draining:
        return web.json_response({"status": "draining"}, status=503)
    try:
        await records.ping()
    except (SQLAlchemyError, OSError) as exc:
        return web.json_response({"status": "database unavailable",
                                  "error": exc.__class__.__name__}, status=503)
    return web.json_response({"status": "ready"})


async def metrics(request: web.Request) -> web.Response:
    records, media, _, m = request.app[KEYS]
    waiting = await records.waiting()
    m.queue_length.clear()
    for consultation, _ in waiting:
        m.queue_length.labels(consultation.reason).inc()
    now = clock()
    m.queue_oldest_wait.set(max(
        ((now - aware(c.queued_at)).total_seconds() for c, _ in waiting), default=0))
    m.consultations_active.set(await records.count_active_consultations())
    m.worker_sides.set(media.active_legs)
    m.checkin_reviews_overdue.set(await records.count_reviews_overdue())
    m.outbox_backlog.clear()
    for entry in await records.outbox("pending"):
        m.outbox_backlog.labels(entry.target).inc()
    return web.Response(body=m.exposition(),
                        content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})


def add_routes(app: web.Application, records: Records, media: MediaWorker,
               signaling: SignalingServer, m: Metrics) -> None:
    app[KEYS] = (records, media, signaling, m)
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/metrics", metrics)

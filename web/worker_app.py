"""What operators and orchestrators poll on a `telemed worker`: liveness, readiness and
Prometheus metrics (its load and transcription lag)."""

from __future__ import annotations

from aiohttp import web

from clinic.metrics import Metrics
from media.stream_worker import StreamWorker
from media.worker import MediaWorker
from web.operations import METRICS_TOKEN, metrics_allowed, refuse_metrics
from web.security import security_headers

PARTS = web.AppKey("worker_parts", tuple)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    worker, _, _ = request.app[PARTS]
    if not worker.accepting:
        return web.json_response({"status": "draining"}, status=503)
    return web.json_response({"status": "ready", "consultations": worker.held})


async def metrics(request: web.Request) -> web.Response:
    worker, media, m = request.app[PARTS]
    token = request.app[METRICS_TOKEN][0]
    if not metrics_allowed(request, token):  # the same rule as on the nodes
        raise refuse_metrics(token)
    m.worker_sides.set(media.active_legs)
    m.worker_consultations.set(worker.held)
    m.draining.set(0 if worker.accepting else 1)
    return web.Response(body=m.exposition(), content_type="text/plain", charset="utf-8")


def create_worker_app(
    worker: StreamWorker, media: MediaWorker, m: Metrics, metrics_token: str | None = None
) -> web.Application:
    app = web.Application(middlewares=[security_headers])
    app[PARTS] = (worker, media, m)
    app[METRICS_TOKEN] = (metrics_token,)
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/metrics", metrics)
    return app

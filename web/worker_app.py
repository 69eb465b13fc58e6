"""What operators and orchestrators poll on a `telemed worker`: liveness, readiness and
Prometheus metrics (its load and transcription lag)."""

from __future__ import annotations

from aiohttp import web

from media.stream_worker import StreamWorker
from web.operations import metrics_allowed, refuse_metrics
from web.platform import PLATFORM, Platform
from web.security import security_headers

WORKER = web.AppKey("stream_worker", StreamWorker)


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    worker = request.app[WORKER]
    if not worker.accepting:
        return web.json_response({"status": "draining"}, status=503)
    return web.json_response({"status": "ready", "consultations": worker.held})


async def metrics(request: web.Request) -> web.Response:
    worker, platform = request.app[WORKER], request.app[PLATFORM]
    m, token = platform.metrics, platform.settings.metrics_token
    if not metrics_allowed(request, token):  # the same rule as on the nodes
        raise refuse_metrics(token)
    m.worker_sides.set(platform.media.active_legs)
    m.worker_consultations.set(worker.held)
    m.draining.set(0 if worker.accepting else 1)
    return web.Response(body=m.exposition(), content_type="text/plain", charset="utf-8")


def create_worker_app(platform: Platform, worker: StreamWorker) -> web.Application:
    app = web.Application(middlewares=[security_headers])
    app[PLATFORM] = platform
    app[WORKER] = worker
    app.router.add_get("/healthz", health)
    app.router.add_get("/readyz", ready)
    app.router.add_get("/metrics", metrics)
    return app

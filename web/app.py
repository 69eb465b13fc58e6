"""The application factory: one process with web, signaling, media worker and transcription."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from aiohttp import web

import decision_support
from clinic.db import upgrade_async
from clinic.settings import Settings
from signaling.server import SignalingServer, create_sio
from signaling.session_watch import SessionWatch
from transcription.models import LANGUAGES, ModelPool
from web import actions_api, api, checkins_api, openapi, operations, pages, sessions
from web.platform import PLATFORM, SIGNALING, Platform, build_platform
from web.security import api_errors, security_headers, strict_requests


def create_app(settings: Settings, models: ModelPool | None = None) -> web.Application:
    """Builds the app; `models` lets a test session share one loaded speech model."""
    app = web.Application(
        client_max_size=1024 * 1024,
        middlewares=[security_headers, api_errors, strict_requests(settings.public_base_url)],
    )
    sio = create_sio(settings)
    sio.attach(app)
    platform = build_platform(settings, sio, models)
    app[PLATFORM] = platform
    watch = SessionWatch(sio, settings.redis_url)
    app[SIGNALING] = SignalingServer(
        sio,
        settings,
        platform.records,
        platform.gateway,
        platform.protocols,
        platform.captions,
        platform.sign_in,
        watch,
    )
    # Opened in this order, closed in the reverse one.
    for part in _parts(platform):
        app.cleanup_ctx.append(part)
    app.cleanup_ctx.append(_running(watch))

    async def stop_socketio(app: web.Application) -> None:
        # python-socketio asks for this before the web server shuts down. Open websockets
        # still hold the shutdown until engine.io's ping timeout (~45 s) or aiohttp's
        # shutdown_timeout, whichever comes first.
        await sio.shutdown()

    app.on_shutdown.append(stop_socketio)
    sessions.add_routes(app, watch, settings.redis_url)
    api.add_routes(app)
    actions_api.add_routes(app)
    checkins_api.add_routes(app)
    operations.add_routes(app)
    pages.add_routes(app)
    openapi.add_routes(app)
    return app


class _Service(Protocol):
    def start(self) -> None: ...

    async def stop(self) -> None: ...


CleanupContext = Callable[[web.Application], AsyncIterator[None]]


def _running(service: _Service) -> CleanupContext:
    async def running(app: web.Application) -> AsyncIterator[None]:
        service.start()
        yield
        await service.stop()

    return running


def _parts(platform: Platform) -> list[CleanupContext]:
    """Each long-lived part of the platform opened and closed in its own context."""
    settings = platform.settings

    async def database(app: web.Application) -> AsyncIterator[None]:
        await upgrade_async(settings.database_url)
        yield
        await platform.engine.dispose()

    async def media(app: web.Application) -> AsyncIterator[None]:
        # Loaded before the first call, not during it: loading takes seconds. The warm
        # recognisers follow in the background (a second of CPU each).
        for language in LANGUAGES if settings.media == "local" else ():
            await asyncio.to_thread(platform.models.for_language, language)
            platform.models.warm(language)
        yield
        await platform.media.close()

    async def suggester(app: web.Application) -> AsyncIterator[None]:
        # About half a second, so the first draft does not wait for it.
        await asyncio.to_thread(decision_support.shipped)
        yield

    async def cluster(app: web.Application) -> AsyncIterator[None]:
        if platform.cluster is not None:
            platform.cluster.start()
        yield
        if platform.cluster is not None:
            await platform.cluster.close()

    return [
        database,
        media,
        suggester,
        _running(platform.outbox),
        _running(platform.messenger),
        cluster,
    ]


async def drain(app: web.Application, timeout_s: float) -> None:
    """Takes no new consultations and waits (up to timeout_s) for the running ones to end."""
    app[SIGNALING].draining = True
    app[PLATFORM].metrics.draining.set(1)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while app[PLATFORM].media.active_legs and loop.time() < deadline:
        await asyncio.sleep(0.5)

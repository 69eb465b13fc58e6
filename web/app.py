"""The application factory: one process with web, signaling, media worker and transcription."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

import decision_support
from actions.booking import Bookings
from clinic.db import create_engine, upgrade_async
from clinic.metrics import Metrics
from clinic.records import Records
from clinic.settings import Settings
from clinic.sign_in import SignIn
from clinic.sms import DevelopmentSms, HttpSms, Messenger, SmsTransport
from media.cluster import ClusterMedia
from media.jobs import StreamMedia
from media.worker import MediaWorker
from protocol_writer.emr import BuiltInRecord, FhirRestRecord, MedicalRecord
from protocol_writer.outbox import OutboxDispatcher
from protocol_writer.service import ProtocolService
from signaling.captions import CaptionSink
from signaling.server import SignalingServer, create_sio
from signaling.session_watch import SessionWatch
from transcription.models import LANGUAGES, ModelPool
from web import actions_api, api, checkins_api, openapi, operations, pages, reader, sessions
from web.security import api_errors, security_headers, strict_requests

SETTINGS = web.AppKey("settings", Settings)
RECORDS = web.AppKey("records", Records)
MEDIA = web.AppKey("media", MediaWorker)
SIGNALING = web.AppKey("signaling", SignalingServer)
OUTBOX = web.AppKey("outbox", OutboxDispatcher)
MESSENGER = web.AppKey("messenger", Messenger)
METRICS = web.AppKey("metrics", Metrics)


def create_app(settings: Settings, models: ModelPool | None = None) -> web.Application:
    """Builds the app; `models` lets a test session share one loaded speech model."""
    app = web.Application(
        client_max_size=1024 * 1024,
        middlewares=[security_headers, api_errors, strict_requests(settings.public_base_url)],
    )
    metrics = Metrics()
    engine = create_engine(settings)
    records = Records(engine)
    sio = create_sio(settings)
    sio.attach(app)
    captions = CaptionSink(records, sio)
    models = models or ModelPool(settings)
    metrics.watch_recognizer_pools(models.recognizer_stats)
    media = MediaWorker(
        models,
        captions,
        settings.recordings_dir,
        settings.ice_servers,
        on_lag=metrics.transcription_lag.observe,
        on_side_end=metrics.observe_side_end,
    )
    app[SETTINGS] = settings
    app[RECORDS] = records
    app[MEDIA] = media
    targets: dict[str, MedicalRecord] = {"builtin": BuiltInRecord(records)}
    if settings.fhir_url:
        targets["fhir"] = FhirRestRecord(settings.fhir_url, settings.fhir_token)
    protocols = ProtocolService(records, tuple(targets))
    outbox = OutboxDispatcher(records, targets, retry_base_s=settings.outbox_retry_s)
    app[OUTBOX] = outbox
    sign_in = SignIn(engine, settings.session_ttl_s, settings.invitation_ttl_s)
    transport: SmsTransport = (
        HttpSms(
            settings.sms_url,
            settings.sms_token,
            f"{settings.public_base_url}/api/sms/delivery-reports",
        )
        if settings.sms_url
        else DevelopmentSms()
    )
    messenger = Messenger(records, transport, retry_base_s=settings.sms_retry_s)
    app[MESSENGER] = messenger
    # With several nodes, hanging up on one ends the sides the others hold; with worker
    # processes (TELEMED_MEDIA=workers) the nodes carry no media at all.
    cluster: ClusterMedia | StreamMedia | None = None
    if settings.media == "workers":
        assert settings.redis_url is not None
        cluster = StreamMedia(settings.redis_url)
    elif settings.redis_url:
        cluster = ClusterMedia(media, settings.redis_url)
    watch = SessionWatch(sio, settings.redis_url)
    app[SIGNALING] = SignalingServer(
        sio, settings, records, cluster or media, protocols, captions, sign_in, watch
    )
    app[METRICS] = metrics

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await upgrade_async(settings.database_url)
        # Loaded before the first call, not during it: loading takes seconds. The warm
        # recognisers follow in the background (a second of CPU each).
        for language in LANGUAGES if settings.media == "local" else ():
            await asyncio.to_thread(models.for_language, language)
            models.warm(language)
        # The suggester too (about half a second), so the first draft does not wait for it.
        await asyncio.to_thread(decision_support.shipped)
        outbox.start()
        messenger.start()
        if cluster is not None:
            cluster.start()
        watch.start()
        yield
        await watch.stop()
        await messenger.stop()
        await outbox.stop()
        if cluster is not None:
            await cluster.close()
        await media.close()
        await engine.dispose()

    async def stop_socketio(app: web.Application) -> None:
        # python-socketio asks for this before the web server shuts down. Open websockets
        # still hold the shutdown until engine.io's ping timeout (~45 s) or aiohttp's
        # shutdown_timeout, whichever comes first.
        await sio.shutdown()

    app.cleanup_ctx.append(lifecycle)
    app.on_shutdown.append(stop_socketio)
    sessions.add_routes(app, records, sign_in, messenger, watch, settings.redis_url)
    api.add_routes(app, records, protocols, outbox, sio, messenger, metrics)
    actions_api.add_routes(
        app, records, settings, protocols, Bookings(records, settings, tuple(targets)), messenger
    )
    checkins_api.add_routes(app, records)
    operations.add_routes(app, records, media, app[SIGNALING], metrics, settings.metrics_token)
    pages.add_routes(app, settings)
    reader.configure(app, settings)
    openapi.add_routes(app)
    return app


async def drain(app: web.Application, timeout_s: float) -> None:
    """Takes no new consultations and waits (up to timeout_s) for the running ones to end."""
    app[SIGNALING].draining = True
    app[METRICS].draining.set(1)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while app[MEDIA].active_legs and loop.time() < deadline:
        await asyncio.sleep(0.5)

"""One place assembles the platform: every long-lived part, built once from the settings,
for the web app (`web/app.py`) and the media worker process (`telemed worker`).

Building opens nothing; whoever runs the platform starts and stops each part
(`web/app.py`: one `cleanup_ctx` each).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from actions.booking import Bookings
from actions.signing import ProtocolSigning
from clinic.db import create_engine
from clinic.metrics import Metrics
from clinic.records import Records
from clinic.settings import Settings
from clinic.sign_in import SignIn
from clinic.sms import DevelopmentSms, HttpSms, Messenger, SmsTransport
from media.cluster import ClusterMedia
from media.gateway import MediaGateway
from media.jobs import StreamMedia
from media.worker import MediaWorker
from protocol_writer.emr import BuiltInRecord, FhirRestRecord, MedicalRecord
from protocol_writer.outbox import OutboxDispatcher
from protocol_writer.service import ProtocolService
from signaling.captions import CaptionSink, Emitter
from signaling.server import SignalingServer
from transcription.models import ModelPool


@dataclass(frozen=True)
class Platform:
    settings: Settings
    engine: AsyncEngine
    records: Records
    metrics: Metrics
    models: ModelPool
    # socket.io rooms on every node: the server itself, or its Redis manager in a worker.
    rooms: Emitter
    # This process's media worker, and the one signaling hands media to: the same worker,
    # or it and the sides other nodes hold (Redis), or worker processes (TELEMED_MEDIA).
    media: MediaWorker
    captions: CaptionSink  # where the media worker's segments go: stored, then shown
    gateway: MediaGateway
    cluster: ClusterMedia | StreamMedia | None
    protocols: ProtocolService
    signing: ProtocolSigning
    bookings: Bookings
    outbox: OutboxDispatcher
    messenger: Messenger
    sign_in: SignIn


# Where an app keeps its platform: handlers reach every part through it.
PLATFORM = web.AppKey("platform", Platform)
# A node's socket server, built by `create_app` on the platform.
SIGNALING = web.AppKey("signaling", SignalingServer)


def build_platform(settings: Settings, rooms: Emitter, models: ModelPool | None = None) -> Platform:
    """Builds every part once; `models` lets a test session share one loaded speech model."""
    metrics = Metrics()
    engine = create_engine(settings)
    records = Records(engine)
    models = models or ModelPool(settings)
    metrics.watch_recognizer_pools(models.recognizer_stats)
    captions = CaptionSink(records, rooms)
    media = MediaWorker(
        models,
        captions,
        settings.recordings_dir,
        settings.ice_servers,
        on_lag=metrics.transcription_lag.observe,
        on_side_end=metrics.observe_side_end,
        on_recognition_cpu=metrics.recognition_cpu.inc,
    )
    targets: dict[str, MedicalRecord] = {"builtin": BuiltInRecord(records)}
    if settings.fhir_url:
        targets["fhir"] = FhirRestRecord(settings.fhir_url, settings.fhir_token)
    transport: SmsTransport = (
        HttpSms(
            settings.sms_url,
            settings.sms_token,
            f"{settings.public_base_url}/api/sms/delivery-reports",
        )
        if settings.sms_url
        else DevelopmentSms()
    )
    # With several nodes, hanging up on one ends the sides the others hold; with worker
    # processes (TELEMED_MEDIA=workers) the nodes carry no media at all.
    cluster: ClusterMedia | StreamMedia | None = None
    if settings.media == "workers":
        assert settings.redis_url is not None
        cluster = StreamMedia(settings.redis_url)
    elif settings.redis_url:
        cluster = ClusterMedia(media, settings.redis_url)
    return Platform(
        settings=settings,
        engine=engine,
        records=records,
        metrics=metrics,
        models=models,
        rooms=rooms,
        media=media,
        captions=captions,
        gateway=cluster or media,
        cluster=cluster,
        protocols=ProtocolService(records, settings.timezone),
        signing=ProtocolSigning(records, tuple(targets), settings.timezone),
        bookings=Bookings(records, settings, tuple(targets)),
        outbox=OutboxDispatcher(records, targets, retry_base_s=settings.outbox_retry_s),
        messenger=Messenger(records, transport, retry_base_s=settings.sms_retry_s),
        sign_in=SignIn(engine, settings.session_ttl_s, settings.invitation_ttl_s),
    )

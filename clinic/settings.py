"""All configuration, read once from the environment into one typed object."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

PREFIX = "TELEMED_"
N = TypeVar("N", int, float)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    public_base_url: str
    host: str
    port: int
    secret_key: str
    # Language code -> Vosk model directory, from TELEMED_VOSK_MODEL_<LANG>.
    vosk_models: Mapping[str, Path] = field(default_factory=dict)
    # Where `telemed models install` puts models and where they are looked up next.
    models_dir: Path = Path("models")
    default_language: str = "ru"
    ice_servers: tuple[Mapping[str, object], ...] = ()
    # Largest socket.io payload a handler accepts; larger ones get an error event.
    max_message_bytes: int = 64 * 1024
    invitation_ttl_s: int = 24 * 3600
    recordings_dir: Path = Path("recordings")
    # An external electronic medical record (FHIR R4 base URL); None: the built-in one only.
    fhir_url: str | None = None
    fhir_token: str | None = None
    outbox_retry_s: float = 2.0
    # How long a stopping server waits for open requests and sockets before closing them.
    shutdown_timeout_s: float = 10.0
    # An SMS operator's HTTP endpoint; None: messages are only recorded (development).
    sms_url: str | None = None
    sms_token: str | None = None
    # The operator's delivery reports are accepted only with this bearer token.
    sms_webhook_token: str | None = None
    sms_retry_s: float = 5.0
    # Times in messages to patients (appointment SMS) are in the city's time zone.
    timezone: str = "Europe/Moscow"
    # "local": each node's own media worker; "workers": `telemed worker` processes take
    # consultations from a Redis Stream (needs redis_url).
    media: str = "local"
    # A worker's consultation idle this long (no heartbeat) is taken over by another.
    worker_takeover_s: float = 10.0
    # How often a patient under chemotherapy is asked to check in.
    checkin_interval_h: float = 24.0
    session_ttl_s: int = 12 * 3600
    # coturn with use-auth-secret: browsers get credentials that expire after turn_ttl_s.
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl_s: int = 6 * 3600
    # On SIGTERM, how long running consultations get to end before the process stops.
    drain_timeout_s: float = 600.0
    # Each socket may send socket_burst messages at once, refilled at socket_messages_per_s:
    # a call's burst of ICE candidates passes, a flood is answered `rate_limited`.
    socket_burst: int = 120
    socket_messages_per_s: float = 20.0
    # /metrics answers only `Authorization: Bearer <this>`; None: /metrics is off (404).
    metrics_token: str | None = None
    # Warm Vosk recognisers kept per model (transcription/pool.py); None: derived from the
    # memory available at start and the cores.
    recognizer_pool: int | None = None
    # Keeps each side's silence from Vosk (transcription/gate.py); off feeds it everything.
    voice_gate: bool = True
    # The allocator of the processes that run Vosk (web/allocator.py): auto, jemalloc, system.
    allocator: str = "auto"
    # A waiting patient whose page has been closed this long leaves the queue; back
    # sooner, they keep their place.
    queue_away_s: float = 300.0

    def __post_init__(self) -> None:
        if self.media not in ("local", "workers"):
            raise ValueError("TELEMED_MEDIA must be local or workers")
        if self.recognizer_pool is not None and self.recognizer_pool < 0:
            raise ValueError("TELEMED_RECOGNISER_POOL must be 0 or more")
        if self.allocator not in ("auto", "jemalloc", "system"):
            raise ValueError(
                f"TELEMED_ALLOCATOR must be auto, jemalloc or system, not {self.allocator!r}"
            )
        if self.media == "workers" and not self.redis_url:
            raise ValueError("TELEMED_MEDIA=workers needs TELEMED_REDIS_URL")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str, default: str) -> str:
            return env.get(PREFIX + name, default)

        def integer(name: str, default: str) -> int:
            return _number(PREFIX + name, get(name, default), int)

        def decimal(name: str, default: str) -> float:
            return _number(PREFIX + name, get(name, default), float)

        data_dir = Path(get("DATA_DIR", "data")).resolve()
        host = get("HOST", "127.0.0.1")
        port = integer("PORT", "8080")
        models = {
            key[len(PREFIX + "VOSK_MODEL_") :].lower(): Path(value)
            for key, value in env.items()
            if key.startswith(PREFIX + "VOSK_MODEL_") and value
        }
        return cls(
            data_dir=data_dir,
            database_url=get("DATABASE_URL", f"sqlite+aiosqlite:///{data_dir / 'telemed.db'}"),
            redis_url=get("REDIS_URL", "") or None,
            public_base_url=get("PUBLIC_BASE_URL", f"http://{host}:{port}").rstrip("/"),
            host=host,
            port=port,
            secret_key=get("SECRET_KEY", "") or _data_dir_secret(data_dir),
            vosk_models=models,
            models_dir=Path(get("MODELS_DIR", str(data_dir / "models"))),
            default_language=get("LANGUAGE", "ru"),
            ice_servers=tuple(json.loads(get("ICE_SERVERS", "[]"))),
            max_message_bytes=integer("MAX_MESSAGE_BYTES", str(64 * 1024)),
            invitation_ttl_s=integer("INVITATION_TTL_S", str(24 * 3600)),
            recordings_dir=Path(get("RECORDINGS_DIR", str(data_dir / "recordings"))),
            fhir_url=get("FHIR_URL", "") or None,
            fhir_token=get("FHIR_TOKEN", "") or None,
            outbox_retry_s=decimal("OUTBOX_RETRY_S", "2"),
            shutdown_timeout_s=decimal("SHUTDOWN_TIMEOUT_S", "10"),
            drain_timeout_s=decimal("DRAIN_TIMEOUT_S", "600"),
            sms_url=get("SMS_URL", "") or None,
            sms_token=get("SMS_TOKEN", "") or None,
            sms_webhook_token=get("SMS_WEBHOOK_TOKEN", "") or None,
            sms_retry_s=decimal("SMS_RETRY_S", "5"),
            timezone=get("TIMEZONE", "Europe/Moscow"),
            checkin_interval_h=decimal("CHECKIN_INTERVAL_H", "24"),
            media=get("MEDIA", "local"),
            worker_takeover_s=decimal("WORKER_TAKEOVER_S", "10"),
            session_ttl_s=integer("SESSION_TTL_S", str(12 * 3600)),
            turn_urls=tuple(u.strip() for u in get("TURN_URLS", "").split(",") if u.strip()),
            turn_secret=get("TURN_SECRET", "") or None,
            turn_ttl_s=integer("TURN_TTL_S", str(6 * 3600)),
            socket_burst=integer("SOCKET_BURST", "120"),
            socket_messages_per_s=decimal("SOCKET_MESSAGES_PER_S", "20"),
            metrics_token=get("METRICS_TOKEN", "") or None,
            recognizer_pool=integer("RECOGNISER_POOL", "") if get("RECOGNISER_POOL", "") else None,
            queue_away_s=decimal("QUEUE_AWAY_S", "300"),
            voice_gate=_switch(PREFIX + "VOICE_GATE", get("VOICE_GATE", "on")),
            allocator=get("ALLOCATOR", "auto"),
        )


def _number(name: str, value: str, kind: Callable[[str], N]) -> N:
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def _switch(name: str, value: str) -> bool:
    if value.lower() in ("on", "1", "true", "yes"):
        return True
    if value.lower() in ("off", "0", "false", "no"):
        return False
    raise ValueError(f"{name} must be on or off, not {value!r}")


def _data_dir_secret(data_dir: Path) -> str:
    """The embedded default: a random secret kept beside the database, never in the repo."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    # Written whole under a private name, then linked into place: processes starting
    # together on one data directory all end up with the one key that won the link.
    draft = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value)
    try:
        os.link(draft, path)
    except FileExistsError:
        value = path.read_text().strip()
    finally:
        draft.unlink()
    return value

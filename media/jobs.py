"""Media work on Redis Streams, for cities that run media workers as processes of their own.

A consultation that starts becomes a job on the `telemed:media-jobs` stream, read by the
consumer group of `telemed worker` processes: one worker claims it and holds it while it
heartbeats. What the parties send the worker (offers, ICE candidates, the end) goes on the
consultation's own control stream, which the holding worker reads; the worker answers the
parties directly through socket.io's Redis manager. A worker that stops heartbeating loses
its jobs to the others (XAUTOCLAIM), which ask the parties to offer again.

`StreamMedia` is the signaling side of this: a MediaGateway that writes to the streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError, ResponseError

from clinic.domain import Speaker
from clinic.tables import Consultation

log = logging.getLogger(__name__)

JOBS = "telemed:media-jobs"
GROUP = "workers"
CONTROL_TTL_S = 24 * 3600
MAX_SDP_CHARS = 64 * 1024


def control_key(consultation_id: str) -> str:
    return f"telemed:media:{consultation_id}"


def connect(redis_url: str) -> Any:
    """A client answering str. Typed Any: redis-py types every reply as the union of all
    reply shapes, and the stream replies are read here as Redis documents them."""
    return redis.Redis.from_url(
        redis_url, decode_responses=True, socket_connect_timeout=5, health_check_interval=15
    )


async def ensure_group(client: Any) -> None:
    """Creates the workers' group (from the stream's start, so no job is missed) once."""
    try:
        await client.xgroup_create(JOBS, GROUP, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


class StreamMedia:
    """A MediaGateway for signaling nodes whose media workers are other processes."""

    def __init__(self, redis_url: str, wait_s: float = 15.0) -> None:
        self._redis = connect(redis_url)
        self._wait_s = wait_s

    async def begin(self, consultation: Consultation) -> None:
        """Queues the consultation's media job, retrying while Redis restarts (within the
        bound). Never raises: the call between the parties goes on even if the job could
        not be queued, which is logged as an error (that call is then not transcribed)."""
        assert consultation.started_at is not None and consultation.doctor_id is not None
        job = {
            "consultation_id": consultation.id,
            "patient_id": consultation.patient_id,
            "doctor_id": consultation.doctor_id,
            "language": consultation.language,
            "started_at": str(consultation.started_at.timestamp()),
        }
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        while True:
            try:
                await ensure_group(self._redis)
                # Trimmed far behind any running consultation (a city's few days of them),
                # so the stream does not grow forever and no pending job is trimmed away.
                await self._redis.xadd(JOBS, job, maxlen=100_000, approximate=True)
                return
            except (RedisError, OSError) as exc:
                if loop.time() >= deadline:
                    log.error(
                        "media_job_not_queued consultation=%s error=%s",
                        consultation.id,
                        exc.__class__.__name__,
                    )
                    return
                await asyncio.sleep(0.5)

    async def _control(self, consultation_id: str, fields: dict[str, str]) -> None:
        key = control_key(consultation_id)
        async with self._redis.pipeline(transaction=False) as pipe:  # one round trip
            pipe.xadd(key, fields, maxlen=1000, approximate=True)
            pipe.expire(key, CONTROL_TTL_S)
            await pipe.execute()

    async def answer(
        self,
        consultation_id: str,
        speaker: Speaker,
        language: str,
        started_at: float,
        sdp: str,
        sdp_type: str = "offer",
    ) -> None:
        """Queues the offer for the consultation's worker, which answers the party itself;
        None: there is no answer to hand back here."""
        if sdp_type != "offer":
            raise ValueError("the worker only answers offers")
        if not sdp.strip() or len(sdp) > MAX_SDP_CHARS:
            raise ValueError("unusable SDP offer: empty or too large")
        await self._control(
            consultation_id, {"kind": "offer", "speaker": speaker.value, "sdp": sdp}
        )

    async def add_ice_candidate(
        self, consultation_id: str, speaker: Speaker, candidate: Mapping[str, object]
    ) -> None:
        await self._control(
            consultation_id,
            {"kind": "ice", "speaker": speaker.value, "candidate": json.dumps(dict(candidate))},
        )

    async def end(self, consultation_id: str) -> None:
        """Asks the holding worker to end both sides; returns once it confirmed that every
        segment is stored, or after the bound (a dead worker's successor ends it later)."""
        reply = f"telemed:media-ended:{uuid.uuid4().hex}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        sent = False
        while True:  # Redis may be restarting: retry within the bound
            try:
                if not sent:
                    await self._control(consultation_id, {"kind": "end", "reply": reply})
                    sent = True
                left = deadline - loop.time()
                done = await self._redis.blpop([reply], timeout=max(1, int(left)))
                break
            except (RedisError, OSError) as exc:
                if loop.time() >= deadline:
                    log.warning(
                        "media_end_not_sent consultation=%s error=%s",
                        consultation_id,
                        exc.__class__.__name__,
                    )
                    return
                await asyncio.sleep(0.5)
        if done is None:
            log.warning("media_end_unconfirmed consultation=%s", consultation_id)
        with contextlib.suppress(RedisError, OSError):
            await self._redis.delete(reply)

    def start(self) -> None:
        pass

    async def close(self) -> None:
        await self._redis.aclose()

"""`telemed worker`: a media worker process taking consultations from the Redis Stream.

It claims jobs from the workers' consumer group, heartbeats the ones it holds (re-claiming
them resets their idle time), and takes over jobs idle for longer than `takeover_s`: those
of a worker that died. Taking one over, it records a gap for each side (the phrase that was
in flight when the other died is lost, and the transcript says so) and asks both parties to
offer again; transcription goes on from the new connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from typing import Any

import socketio
from redis.exceptions import RedisError

from clinic import rooms
from clinic.domain import ConsultationStatus, Role, Segment, Speaker
from clinic.records import Records
from media.jobs import GROUP, JOBS, connect, control_key, ensure_group
from media.worker import BadOffer, MediaWorker

log = logging.getLogger(__name__)


class StreamWorker:
    def __init__(
        self,
        records: Records,
        media: MediaWorker,
        redis_url: str,
        emitter: socketio.AsyncRedisManager,
        *,
        heartbeat_s: float = 2.0,
        takeover_s: float = 10.0,
        name: str | None = None,
    ) -> None:
        self._records = records
        self._media = media
        self._redis = connect(redis_url)
        self._emitter = emitter
        self._heartbeat_s = heartbeat_s
        self._takeover_ms = int(takeover_s * 1000)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._held: dict[str, asyncio.Task[None]] = {}  # job id -> its consultation's task
        self.accepting = True

    @property
    def held(self) -> int:
        return len(self._held)

    async def run(self) -> None:
        """Claims, heartbeats and takes over until cancelled; Redis outages are waited out."""
        while True:
            try:
                await ensure_group(self._redis)
                # A task group: when one loop loses Redis the other is cancelled with it,
                # so a reconnection never leaves two of either running.
                async with asyncio.TaskGroup() as loops:
                    loops.create_task(self._claim_new())
                    loops.create_task(self._heartbeat_and_take_over())
            except* (RedisError, OSError) as lost:
                log.warning("worker_redis_lost error=%s", lost.exceptions[0].__class__.__name__)
                await asyncio.sleep(1)

    async def drain(self, timeout_s: float) -> None:
        """Claims nothing new and waits for the held consultations to end."""
        self.accepting = False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self._held:
                    await asyncio.sleep(0.2)

    async def close(self) -> None:
        for task in list(self._held.values()):
            task.cancel()
        await asyncio.gather(*self._held.values(), return_exceptions=True)
        await self._media.close()
        await self._redis.aclose()

    async def _claim_new(self) -> None:
        while True:
            if not self.accepting:
                await asyncio.sleep(0.5)
                continue
            found = await self._redis.xreadgroup(GROUP, self.name, {JOBS: ">"}, count=1, block=1000)
            for _, entries in found or []:
                for job_id, fields in entries:
                    self._hold(job_id, fields, takeover=False)

    async def _heartbeat_and_take_over(self) -> None:
        while True:
            if self._held:
                # Claiming our own jobs again resets their idle time: the heartbeat.
                await self._redis.xclaim(
                    JOBS,
                    GROUP,
                    self.name,
                    min_idle_time=0,
                    message_ids=list(self._held),
                    justid=True,
                )
            if self.accepting:
                _, claimed, _ = await self._redis.xautoclaim(
                    JOBS, GROUP, self.name, min_idle_time=self._takeover_ms, count=10
                )
                for job_id, fields in claimed:
                    if job_id not in self._held and fields:
                        log.info(
                            "worker_takeover job=%s consultation=%s",
                            job_id,
                            fields.get("consultation_id"),
                        )
                        self._hold(job_id, fields, takeover=True)
            await asyncio.sleep(self._heartbeat_s)

    def _hold(self, job_id: str, fields: dict[str, str], *, takeover: bool) -> None:
        task = asyncio.create_task(self._serve(job_id, fields, takeover))
        self._held[job_id] = task
        task.add_done_callback(lambda _: self._held.pop(job_id, None))

    async def _serve(self, job_id: str, job: dict[str, str], takeover: bool) -> None:
        consultation_id = job["consultation_id"]
        party_rooms = {
            Speaker.PATIENT: rooms.person(Role.PATIENT, job["patient_id"]),
            Speaker.DOCTOR: rooms.person(Role.DOCTOR, job["doctor_id"]),
        }
        started_at = float(job["started_at"])
        key = control_key(consultation_id)
        consultation = await self._records.consultation(consultation_id)
        if consultation is None or consultation.status != ConsultationStatus.ACTIVE.value:
            await self._redis.xack(JOBS, GROUP, job_id)  # over before anyone held it
            return
        last_id = "0"
        if takeover:
            # The dead worker's offers were answered (or not) by it: start after them.
            latest = await self._redis.xrevrange(key, count=1)
            last_id = latest[0][0] if latest else "0"
            await self._record_gaps(consultation_id, started_at)
            for room in party_rooms.values():
                await self._emitter.emit(
                    "media.restart", {"consultation_id": consultation_id}, room=room
                )
        try:
            while True:
                try:
                    found = await self._redis.xread({key: last_id}, count=20, block=1000)
                except (RedisError, OSError) as exc:
                    # The media keeps flowing browser to worker; only the control stream is
                    # out of reach. Read on from where we were once Redis is back.
                    log.warning(
                        "worker_control_lost consultation=%s error=%s",
                        consultation_id,
                        exc.__class__.__name__,
                    )
                    await asyncio.sleep(1)
                    continue
                if not found:
                    if await self._ended(consultation_id):
                        await self._finish(job_id, consultation_id, None)
                        return
                    continue
                for _, entries in found:
                    for entry_id, fields in entries:
                        last_id = entry_id
                        if fields.get("kind") == "end":
                            await self._finish(job_id, consultation_id, fields.get("reply"))
                            return
                        await self._handle(
                            consultation_id, job["language"], started_at, fields, party_rooms
                        )
        except asyncio.CancelledError:
            await self._media.end(consultation_id)
            raise

    async def _handle(
        self,
        consultation_id: str,
        language: str,
        started_at: float,
        fields: dict[str, str],
        party_rooms: dict[Speaker, str],
    ) -> None:
        try:
            speaker = Speaker(fields.get("speaker", ""))
        except ValueError:
            return
        try:
            if fields.get("kind") == "offer":
                answer = await self._media.answer(
                    consultation_id, speaker, language, started_at, fields.get("sdp", "")
                )
                await self._emitter.emit(
                    "answer",
                    {
                        "consultation_id": consultation_id,
                        "from": "worker",
                        "sdp": answer.sdp,
                        "type": answer.type,
                    },
                    room=party_rooms[speaker],
                )
            elif fields.get("kind") == "ice":
                await self._media.add_ice_candidate(
                    consultation_id, speaker, json.loads(fields.get("candidate", "{}"))
                )
        except (BadOffer, ValueError) as exc:
            await self._emitter.emit(
                "error",
                {"event": "offer", "code": "bad_sdp", "message": str(exc)[:300]},
                room=party_rooms[speaker],
            )

    async def _record_gaps(self, consultation_id: str, started_at: float) -> None:
        """Marks, for each side, the time from its last stored segment to now as lost."""
        segments = await self._records.segments(consultation_id)
        now_s = max(0.0, time.time() - started_at)
        for speaker in Speaker:
            last_end = max((s.end for s in segments if s.speaker is speaker), default=0.0)
            if now_s > last_end:
                await self._records.add_segment(
                    Segment(consultation_id, speaker, last_end, now_s, "", 0.0, kind="gap")
                )

    async def _ended(self, consultation_id: str) -> bool:
        consultation = await self._records.consultation(consultation_id)
        return consultation is None or consultation.status != ConsultationStatus.ACTIVE.value

    async def _finish(self, job_id: str, consultation_id: str, reply: str | None) -> None:
        await self._media.end(consultation_id)  # every segment is stored when this returns
        await self._redis.xack(JOBS, GROUP, job_id)
        if reply:
            await self._redis.rpush(reply, self.name)
            await self._redis.expire(reply, 60)
        log.info("worker_ended consultation=%s", consultation_id)


def emitter(redis_url: str) -> Any:
    """Emits to socket.io rooms on every node without being a socket.io server itself."""
    return socketio.AsyncRedisManager(redis_url, write_only=True)

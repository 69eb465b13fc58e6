"""The media worker of one node in a cluster of nodes sharing Redis.

Each party's audio is received by the worker of the node their socket is connected to, so a
patient on node A and a doctor on node B leave one side on each. Hanging up on B must flush
A's side too before the protocol is drafted from the transcript: the node that ends a
consultation publishes it on a Redis channel, every node holding a side closes it (each
segment reaches the database) and confirms, and the ending node waits for those
confirmations, up to a bound. A node that died cannot confirm: its persisted segments stay,
its phrase in flight is lost, and the wait ends at the bound.

Without Redis (or while it is down) a hang-up still ends the local side at once, and a
remote side ends when its browser closes the connection; only the wait is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import uuid
from collections.abc import Mapping
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from clinic.domain import Speaker
from media.gateway import MediaGateway

log = logging.getLogger(__name__)

CHANNEL = "telemed:media-end"
LEGS_TTL_S = 24 * 3600


def _legs_key(consultation_id: str) -> str:
    return f"telemed:media-legs:{consultation_id}"


class ClusterMedia:
    """A MediaGateway: the local worker, plus ending sides held by other nodes."""

    def __init__(self, local: MediaGateway, redis_url: str, wait_s: float = 15.0) -> None:
        self._local = local
        # No read timeout: the listener blocks on the channel for as long as it is quiet;
        # health checks find a connection that died without a word.
        self._redis = redis.Redis.from_url(
            redis_url, decode_responses=True, socket_connect_timeout=5, health_check_interval=15
        )
        self._wait_s = wait_s
        self.node_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._listener: asyncio.Task[None] | None = None
        self._ending: set[asyncio.Task[None]] = set()

    async def begin(self, consultation: Any) -> None:
        await self._local.begin(consultation)

    async def answer(
        self,
        consultation_id: str,
        speaker: Speaker,
        language: str,
        started_at: float,
        sdp: str,
        sdp_type: str = "offer",
    ) -> Any:
        answer = await self._local.answer(
            consultation_id, speaker, language, started_at, sdp, sdp_type
        )
        try:
            key = _legs_key(consultation_id)
            await self._redis.sadd(key, self.node_id)
            await self._redis.expire(key, LEGS_TTL_S)
        except (RedisError, OSError) as exc:
            log.warning(
                "media_leg_unregistered consultation=%s error=%s",
                consultation_id,
                exc.__class__.__name__,
            )
        return answer

    async def add_ice_candidate(
        self, consultation_id: str, speaker: Speaker, candidate: Mapping[str, object]
    ) -> None:
        await self._local.add_ice_candidate(consultation_id, speaker, candidate)

    async def end(self, consultation_id: str) -> None:
        """Ends every side of the consultation on every node; returns once each node holding
        one confirmed its segments are stored, or after the bound."""
        reply = f"telemed:media-ended:{uuid.uuid4().hex}"
        others: set[str] = set()
        try:
            holders = {str(m) for m in await self._redis.smembers(_legs_key(consultation_id))}
            others = holders - {self.node_id}
            if others:
                await self._redis.publish(
                    CHANNEL, json.dumps({"consultation_id": consultation_id, "reply": reply})
                )
        except (RedisError, OSError) as exc:
            log.warning(
                "media_end_not_published consultation=%s error=%s",
                consultation_id,
                exc.__class__.__name__,
            )
        await self._local.end(consultation_id)
        confirmed = await self._confirmations(reply, others)
        if others - confirmed:
            log.warning(
                "media_end_unconfirmed consultation=%s nodes=%s",
                consultation_id,
                ",".join(sorted(others - confirmed)),
            )
        with contextlib.suppress(RedisError, OSError):
            await self._redis.delete(_legs_key(consultation_id), reply)

    async def _confirmations(self, reply: str, expected: set[str]) -> set[str]:
        confirmed: set[str] = set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        while expected - confirmed:
            left = deadline - loop.time()
            if left <= 0:
                break
            try:
                item = await self._redis.blpop([reply], timeout=max(1, int(left)))
            except (RedisError, OSError):
                break
            if item is not None:
                confirmed.add(str(item[1]))
        return confirmed

    def start(self) -> None:
        self._listener = asyncio.create_task(self._listen())

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()

    async def _listen(self) -> None:
        """Ends this node's sides when another node ends a consultation; resubscribes after
        Redis goes away and comes back."""
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    task = asyncio.create_task(self._end_here(message["data"]))
                    self._ending.add(task)
                    task.add_done_callback(self._ending.discard)
            except (RedisError, OSError) as exc:
                log.warning("media_end_listener_lost error=%s", exc.__class__.__name__)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _end_here(self, raw: str) -> None:
        try:
            request = json.loads(raw)
            consultation_id, reply = str(request["consultation_id"]), str(request["reply"])
        except (ValueError, KeyError, TypeError):
            log.warning("media_end_bad_request")
            return
        await self._local.end(consultation_id)
        try:
            await self._redis.rpush(reply, self.node_id)
            await self._redis.expire(reply, 60)
        except (RedisError, OSError) as exc:
            log.warning(
                "media_end_unconfirmed_here consultation=%s error=%s",
                consultation_id,
                exc.__class__.__name__,
            )

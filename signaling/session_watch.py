"""Sockets live no longer than the session they were opened with.

A socket opened with a session (the browser's cookie, or `auth.session`) is closed when the
session ends: at its expiry, by a timer on the node holding the socket; on sign-out, at once
on this node and, through Redis, on every other node. A node that misses the Redis message
(Redis down at that moment) still refuses the socket's next event: the signaling server
checks the session before each one, so a dead session can do nothing, only receive until
that check or the expiry timer closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

import redis.asyncio as redis
import socketio
from redis.exceptions import RedisError

from clinic.time import now

log = logging.getLogger(__name__)

CHANNEL = "telemed:sessions-ended"


class SessionWatch:
    def __init__(self, sio: socketio.AsyncServer, redis_url: str | None) -> None:
        self._sio = sio
        self._sids: dict[str, set[str]] = defaultdict(set)  # session hash -> local sockets
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._redis = (
            redis.Redis.from_url(
                redis_url, decode_responses=True, socket_connect_timeout=5, health_check_interval=15
            )
            if redis_url
            else None
        )
        self._listener: asyncio.Task[None] | None = None

    def track(self, sid: str, token_hash: str, expires_at: datetime) -> None:
        """Closes `sid` when the session expires, or when it is signed out."""
        self._sids[token_hash].add(sid)
        delay = max(0.0, (expires_at - now()).total_seconds())
        self._timers[sid] = asyncio.get_running_loop().call_later(
            delay, self._close_soon, sid, "expired"
        )

    def close_after_reply(self, sid: str, reason: str) -> None:
        """Closes `sid` once the acknowledgement being returned has had time to leave."""
        asyncio.get_running_loop().call_later(0.2, self._close_soon, sid, reason)

    def forget(self, sid: str, token_hash: str | None) -> None:
        if timer := self._timers.pop(sid, None):
            timer.cancel()
        if token_hash is not None and token_hash in self._sids:
            self._sids[token_hash].discard(sid)
            if not self._sids[token_hash]:
                del self._sids[token_hash]

    async def ended(self, token_hash: str) -> None:
        """The session was signed out: its sockets close here and on every node."""
        await self._close_local(token_hash)
        if self._redis is not None:
            try:
                await self._redis.publish(CHANNEL, token_hash)
            except (RedisError, OSError) as exc:
                # Other nodes refuse the sockets' next event and close them then.
                log.warning("session_end_unpublished error=%s", exc.__class__.__name__)

    async def close(self, sid: str, reason: str) -> None:
        """Tells the client why, then closes the socket."""
        with contextlib.suppress(Exception):  # the socket may be gone already
            await self._sio.emit("session.ended", {"reason": reason}, to=sid)
        await self._sio.disconnect(sid)

    async def _close_local(self, token_hash: str) -> None:
        for sid in list(self._sids.get(token_hash, ())):
            await self.close(sid, "signed_out")

    def _close_soon(self, sid: str, reason: str) -> None:
        task = asyncio.get_running_loop().create_task(self.close(sid, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def start(self) -> None:
        if self._redis is not None and self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._redis is not None:
            await self._redis.aclose()

    async def _listen(self) -> None:
        assert self._redis is not None
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    token_hash: Any = message.get("data")
                    if isinstance(token_hash, str):
                        await self._close_local(token_hash)
            except (RedisError, OSError) as exc:
                log.warning("session_watch_reconnecting error=%s", exc.__class__.__name__)
                await asyncio.sleep(1.0)

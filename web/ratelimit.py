"""Limits per client address for the sign-in endpoints: in process by default, shared by
every node through Redis when there is one (else N nodes would allow N times the limit)."""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from typing import Protocol

from redis.exceptions import RedisError

from media.jobs import connect

log = logging.getLogger(__name__)


class Limiter(Protocol):
    async def allow(self, key: str) -> bool: ...


class RateLimit:
    """A sliding window in this process."""

    def __init__(self, per_window: int, window_s: float) -> None:
        self._per_window = per_window
        self._window = window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    async def allow(self, key: str) -> bool:
        moment = time.monotonic()
        hits = self._hits[key]
        while hits and hits[0] <= moment - self._window:
            hits.popleft()
        if len(hits) >= self._per_window:
            return False
        hits.append(moment)
        if len(self._hits) > 100_000:  # a flood of addresses must not grow memory forever
            self._hits = defaultdict(deque, {k: v for k, v in self._hits.items() if v})
        return True


class RedisRateLimit:
    """A fixed window counted in Redis, shared by every node. (A burst across a window's
    edge can reach twice the limit; for sign-in throttling that is enough.) While Redis is
    unreachable each node limits on its own rather than not at all."""

    def __init__(
        self, redis_url: str, per_window: int, window_s: float, prefix: str = "telemed:rate:"
    ) -> None:
        self._redis = connect(redis_url)
        self._per_window = per_window
        self._window = window_s
        self._prefix = prefix
        self._fallback = RateLimit(per_window, window_s)

    async def allow(self, key: str) -> bool:
        bucket = f"{self._prefix}{key}:{int(time.time() // self._window)}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(bucket)
                pipe.expire(bucket, int(self._window) + 1)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("rate_limit_local error=%s", exc.__class__.__name__)
            return await self._fallback.allow(key)
        return int(count) <= self._per_window

    async def close(self) -> None:
        await self._redis.aclose()

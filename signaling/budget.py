"""A per-socket message budget: a token bucket, so a call's burst of ICE candidates passes
and a client flooding the server is answered `rate_limited` instead of served."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    at: float


class MessageBudget:
    def __init__(self, burst: int, per_s: float) -> None:
        self._burst = float(burst)
        self._per_s = per_s
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, sid: str) -> bool:
        """Spends one message of `sid`'s budget; False when there is none left."""
        now = time.monotonic()
        bucket = self._buckets.setdefault(sid, _Bucket(self._burst, now))
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._per_s)
        bucket.at = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def forget(self, sid: str) -> None:
        self._buckets.pop(sid, None)

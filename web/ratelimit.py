"""A sliding-window limit per client address, for the sign-in endpoints.

In one process; with several nodes each limits on its own (a Redis-backed one is the next
step, with the rest of the shared state).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque


class RateLimit:
    def __init__(self, per_window: int, window_s: float) -> None:
        self._per_window = per_window
        self._window = window_s
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
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

"""Token-bucket rate limiting with an injectable clock (so tests check the rate without sleeping)."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class TokenBucket:
    """At most `rate` acquisitions per second on average, with bursts of at most `capacity`.

    With capacity 1 (the default) consecutive acquisitions are at least 1/rate seconds apart, so no
    1-second window ever holds more than `rate` calls.
    """

    def __init__(self, rate: float, capacity: float = 1.0, clock: Clock | None = None) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("rate must be > 0 and capacity >= 1")
        self.rate = rate
        self.capacity = capacity
        self.clock: Clock = clock or SystemClock()
        self._tokens = capacity
        self._stamp = self.clock.monotonic()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self.clock.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def acquire(self) -> None:
        """Block (through the clock) until a token is available, then take it."""
        with self._lock:
            self._refill()
            while self._tokens < 1.0:
                self.clock.sleep((1.0 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1.0


class PerKeyLimiter:
    """One bucket per key (a region: CloudTrail's LookupEvents quota is per account and region)."""

    def __init__(self, rate: float, capacity: float = 1.0, clock: Clock | None = None) -> None:
        self.rate = rate
        self.capacity = capacity
        self.clock: Clock = clock or SystemClock()
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str) -> None:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(self.rate, self.capacity, self.clock)
        bucket.acquire()

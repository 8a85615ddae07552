"""A clock the sandboxes read instead of `time.time()`, so tests can skip ahead without sleeping."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall-clock seconds plus an offset that tests move forward with `advance()`."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the sandbox sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox's time forward, e.g. past a token's expiry or a Retry-After."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        """Return to real time."""
        with self._lock:
            self._offset = 0.0

    def isoformat(self, at: float | None = None) -> str:
        """A timestamp the way GitHub and most JSON APIs write it: `2025-01-15T10:00:00Z`."""
        moment = datetime.fromtimestamp(self.now() if at is None else at, tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> float:
    """Epoch seconds of an ISO 8601 timestamp (`Z` or an offset); naive ones are read as UTC."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()

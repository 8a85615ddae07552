"""GitHub's primary rate limits per account and resource, reported in the `x-ratelimit-*` headers."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from charter.sandboxes.clock import Clock

# Limits and windows from GitHub's rate-limit documentation: (authenticated, anonymous, window seconds).
LIMITS: dict[str, tuple[int, int, int]] = {
    "core": (5000, 60, 3600),
    "search": (30, 10, 60),
    "graphql": (5000, 0, 3600),
}


@dataclass
class Bucket:
    """One account's budget for one resource in the current window."""

    limit: int
    used: int
    reset: int

    @property
    def remaining(self) -> int:
        """Calls left in this window."""
        return max(0, self.limit - self.used)


class RateLimits:
    """Budgets by (account, resource); the window restarts once `reset` has passed."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def __repr__(self) -> str:
        return f"RateLimits({len(self._buckets)} buckets)"

    def reset(self) -> None:
        """Full budgets for everyone."""
        with self._lock:
            self._buckets.clear()

    def bucket(self, who: str, resource: str, authenticated: bool) -> Bucket:
        """The current bucket, opening a new window when the last one ended."""
        auth_limit, anon_limit, window = LIMITS.get(resource, LIMITS["core"])
        now = self.clock.now()
        with self._lock:
            current = self._buckets.get((who, resource))
            if current is None or now >= current.reset:
                limit = auth_limit if authenticated else anon_limit
                current = Bucket(limit, 0, int(now) + window)
                self._buckets[(who, resource)] = current
            return current

    def spend(self, bucket: Bucket) -> None:
        """Count one call."""
        with self._lock:
            bucket.used += 1

    def set_remaining(self, login: str, remaining: int, resource: str = "core") -> None:
        """Leave `login` only `remaining` calls in this window (0: the next call is refused)."""
        current = self.bucket(login, resource, True)
        with self._lock:
            current.used = max(0, current.limit - remaining)

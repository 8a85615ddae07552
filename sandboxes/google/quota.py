"""Per-user quota in Google's units: Gmail's units per second, Calendar's requests per minute.

Gmail's limit is a moving average that allows short bursts, modelled as a token bucket holding
`gmail_burst_seconds` worth of units. Calendar counts requests in fixed one-minute windows. A call
over the limit is answered the way `style` says: 429 `rateLimitExceeded` (the default), or the 403
`userRateLimitExceeded` / `rateLimitExceeded` Google also sends, which clients must treat as rate
limits, not as missing permissions.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Literal

from charter.sandboxes.clock import Clock
from charter.sandboxes.google.errors import GoogleError, rate_limited

QuotaStyle = Literal["429", "403 userRateLimitExceeded", "403 rateLimitExceeded"]

# Gmail's published cost of each method in quota units; unlisted Gmail methods cost 5.
GMAIL_UNITS: dict[str, int] = {
    "gmail.users.getProfile": 1,
    "gmail.users.labels.list": 1,
    "gmail.users.labels.get": 1,
    "gmail.users.labels.create": 5,
    "gmail.users.history.list": 2,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.trash": 5,
    "gmail.users.messages.untrash": 5,
    "gmail.users.messages.send": 100,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.threads.list": 10,
    "gmail.users.threads.get": 10,
    "gmail.users.threads.modify": 10,
    "gmail.users.threads.trash": 10,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.delete": 10,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.update": 15,
    "gmail.users.drafts.send": 100,
}


def gmail_units(method_id: str) -> int:
    """What one call of a Gmail method costs."""
    return GMAIL_UNITS.get(method_id, 5)


@dataclass
class _Bucket:
    level: float
    at: float


class Quota:
    """The per-user budgets of one sandbox; knobs are plain attributes, safe to set from tests."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._gmail: dict[str, _Bucket] = {}
        self._calendar: dict[str, tuple[int, int]] = {}
        self._blocked: dict[tuple[str, str], float] = {}
        self.reset()

    def __repr__(self) -> str:
        return (
            f"Quota(enabled={self.enabled}, gmail={self.gmail_units_per_second}/s, "
            f"calendar={self.calendar_per_minute}/min, style={self.style!r})"
        )

    def reset(self) -> None:
        """Google's default limits, full budgets, nothing spent."""
        with self._lock:
            self.enabled = True
            self.gmail_units_per_second = 250
            self.gmail_burst_seconds = 10.0
            self.calendar_per_minute = 600
            self.style: QuotaStyle = "429"
            self.units_spent: dict[str, int] = {"gmail": 0, "calendar": 0}
            self.refused = 0
            self._gmail.clear()
            self._calendar.clear()
            self._blocked.clear()

    @property
    def gmail_capacity(self) -> float:
        """How many units a user may spend in one burst."""
        return self.gmail_units_per_second * self.gmail_burst_seconds

    def charge(self, method_id: str, user: str) -> GoogleError | None:
        """Spend what `method_id` costs from `user`'s budget, or the error to answer instead."""
        if not self.enabled:
            return None
        api = method_id.split(".", 1)[0]
        with self._lock:
            blocked = self._blocked.get((api, user), 0.0) - self.clock.now()
            if blocked > 0:
                wait: float | None = blocked
            elif api == "gmail":
                wait = self._charge_gmail(method_id, user)
            else:
                wait = self._charge_calendar(user)
            if wait is None:
                return None
            self.refused += 1
        return self._refusal(max(1, math.ceil(wait)))

    def _charge_gmail(self, method_id: str, user: str) -> float | None:
        now, units = self.clock.now(), gmail_units(method_id)
        bucket = self._gmail.get(user) or _Bucket(self.gmail_capacity, now)
        bucket.level = min(
            self.gmail_capacity, bucket.level + (now - bucket.at) * self.gmail_units_per_second
        )
        bucket.at = now
        self._gmail[user] = bucket
        if bucket.level < units:
            return (units - bucket.level) / self.gmail_units_per_second
        bucket.level -= units
        self.units_spent["gmail"] += units
        return None

    def _charge_calendar(self, user: str) -> float | None:
        now = self.clock.now()
        window = int(now // 60)
        start, used = self._calendar.get(user, (window, 0))
        if start != window:
            start, used = window, 0
        if used >= self.calendar_per_minute:
            return (start + 1) * 60 - now
        self._calendar[user] = (start, used + 1)
        self.units_spent["calendar"] += 1
        return None

    def _refusal(self, retry_after: int) -> GoogleError:
        if self.style == "403 userRateLimitExceeded":
            return rate_limited(403, "userRateLimitExceeded", "User Rate Limit Exceeded", retry_after)
        if self.style == "403 rateLimitExceeded":
            return rate_limited(403, "rateLimitExceeded", "Rate Limit Exceeded", retry_after)
        when = self.clock.isoformat(self.clock.now() + retry_after)
        return rate_limited(
            429, "rateLimitExceeded", f"User-rate limit exceeded.  Retry after {when}", retry_after
        )

    def exhaust(
        self, api: Literal["gmail", "calendar"] = "gmail", user: str = "mona@acme.com", seconds: float = 1.0
    ) -> None:
        """Refuse every call of `user` to `api` for the next `seconds` (advance the clock to lift it)."""
        with self._lock:
            self._blocked[(api, user)] = self.clock.now() + seconds

    def remaining(self, api: Literal["gmail", "calendar"] = "gmail", user: str = "mona@acme.com") -> float:
        """What `user` may still spend right now (units for Gmail, requests for Calendar)."""
        now = self.clock.now()
        with self._lock:
            if api == "gmail":
                bucket = self._gmail.get(user)
                if bucket is None:
                    return self.gmail_capacity
                gained = (now - bucket.at) * self.gmail_units_per_second
                return min(self.gmail_capacity, bucket.level + gained)
            start, used = self._calendar.get(user, (int(now // 60), 0))
            return self.calendar_per_minute - (used if start == int(now // 60) else 0)

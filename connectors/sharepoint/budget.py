"""SharePoint's resource units (RU): what each Graph request costs, and the budget every request draws on.

SharePoint throttles per app and tenant in RU per minute (1,200 to 6,000 by tenant size), not in
requests. Costs follow Microsoft's "avoid getting throttled or blocked in SharePoint Online": 1 RU
for a single-item get, a delta with a token or a download; 2 RU for a multi-item listing or search,
a delta without a token, or a write; 5 RU for a permission operation. `$batch` items count one by one.

Every connector of one tenant on one Graph draws on one `ResourceBudget`. It learns the tenant's
budget from `RateLimit-Limit/-Remaining/-Reset` (sent once 80% of the minute is spent) and then
holds a request back rather than spend units Graph says are not left. A 429 or 503 with Retry-After
closes the budget for every other connector of the tenant until then; the connector that got the
answer waits it out through the connector's own retry. An operator who knows the tenant's budget
can set it (`SharePointConnector.ru_per_minute`) to stay under it before Graph's headers appear.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

WINDOW = 60.0
_PERMISSION = re.compile(r"/(createLink|invite|permissions)$")
_LISTING = re.compile(r"(/children|/drives|/columns|/lists|/items|/root/search\(q='.*'\)|^(/v1\.0)?/sites)$")


def units_for(method: str, url: str, params: Mapping[str, str] | None = None) -> int:
    """The RU one Graph request costs."""
    path = urlsplit(url).path
    query = dict(params or {})
    query_text = urlsplit(url).query
    if _PERMISSION.search(path) or "permissions" in str(query.get("$expand", "")):
        return 5
    if method.upper() not in ("GET", "HEAD"):
        return 2
    if path.endswith("/delta"):
        return 1 if "token" in query or "token=" in query_text else 2
    if _LISTING.search(path):
        return 2
    return 1


def batch_units(requests: list[dict[str, Any]]) -> int:
    """A `$batch`'s RU: the sum of its requests' costs (Graph counts each on its own)."""
    return sum(
        units_for(str(r.get("method", "GET")), "/" + str(r.get("url", "")).lstrip("/")) for r in requests
    )


class ResourceBudget:
    """RU spent by one tenant's connectors in the current minute, and what Graph says is left."""

    def __init__(self, per_minute: int | None = None) -> None:
        self.per_minute = per_minute
        # The tenant's budget as Graph last stated it (`RateLimit-Limit`), for reports.
        self.limit: int | None = None
        self._lock = threading.Lock()
        self._window_start = float("-inf")
        self._used = 0
        # What Graph last said: units left until `_reset_at` (None: Graph has not said).
        self._remaining: int | None = None
        self._reset_at = 0.0
        self._closed_until = 0.0
        self._closed_by: object = None
        self.spent = 0
        self.held = 0.0

    def take(self, units: int, now: float, who: object, max_wait: float) -> float:
        """Seconds `who` waits before sending `units` at `now`; the units count only within `max_wait`."""
        with self._lock:
            wait = self._closed_until - now if self._closed_by is not who else 0.0
            wait = max(0.0, wait)
            remaining = self._remaining
            if remaining is not None and now + wait >= self._reset_at:
                remaining = None  # Graph's window has passed
            if remaining is not None and remaining < units:
                wait, remaining = max(wait, self._reset_at - now), None
            start, used = self._window_start, self._used
            if self.per_minute is not None:
                if units > self.per_minute:
                    return float("inf")  # more than a whole minute's units: no wait makes it fit
                if now + wait >= start + WINDOW:
                    start, used = now + wait, 0
                if used + units > self.per_minute:
                    wait, start, used = max(wait, start + WINDOW - now), start + WINDOW, 0
            if wait > max_wait:
                return wait
            self._remaining = None if remaining is None else remaining - units
            self._window_start, self._used = start, used + units
            self.spent += units
            self.held += wait
            return wait

    def observe(self, headers: Mapping[str, str], now: float) -> None:
        """Take in Graph's `RateLimit-*` headers of one answer, when it sent them."""
        remaining, reset = _number(headers, "ratelimit-remaining"), _number(headers, "ratelimit-reset")
        if remaining is None or reset is None:
            return
        with self._lock:
            self._remaining, self._reset_at = int(remaining), now + reset
            limit = _number(headers, "ratelimit-limit")
            self.limit = int(limit) if limit is not None else self.limit

    def close_for(self, seconds: float, now: float, who: object) -> None:
        """Graph said wait `seconds`: every other connector of the tenant holds back until then."""
        with self._lock:
            if now + seconds > self._closed_until:
                self._closed_until, self._closed_by = now + seconds, who


def _number(headers: Mapping[str, str], name: str) -> float | None:
    raw = next((v for k, v in headers.items() if k.lower() == name), None)
    try:
        return float(raw) if raw is not None else None
    except ValueError:
        return None


_budgets: dict[tuple[str, str], ResourceBudget] = {}
_budgets_lock = threading.Lock()


def budget_for(api_base: str, account: str) -> ResourceBudget:
    """The one budget of the tenant `account` belongs to (by its domain), on one Graph, in this process."""
    tenant = account.rpartition("@")[2].lower()
    with _budgets_lock:
        return _budgets.setdefault((api_base, tenant), ResourceBudget())


__all__ = ["ResourceBudget", "batch_units", "budget_for", "units_for"]

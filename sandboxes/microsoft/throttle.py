"""SharePoint's throttling: per-app resource units (RU) per minute, 429 with Retry-After beyond them.

Costs and headers follow Microsoft's "avoid getting throttled or blocked in SharePoint Online":
1 RU for a single-item get, a delta with a token or a download; 2 RU for a multi-item listing, a
delta without a token or a write; 5 RU for a permission operation. `$batch` items count one by
one. `RateLimit-Limit/-Remaining/-Reset` appear once 80% of the minute's budget is spent.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from charter.sandboxes.clock import Clock

# The smallest tenant's budget (up to 1,000 licences).
DEFAULT_BUDGET = 1200
WINDOW = 60.0
WARN_AT = 0.8


@dataclass
class _Window:
    start: float
    used: int


@dataclass(frozen=True)
class Charge:
    """The outcome of charging one request: allowed or not, and the headers to send."""

    allowed: bool
    headers: dict[str, str]
    retry_after: int = 0


def cost_of(method: str, kind: str) -> int:
    """The RU cost of one request of `kind` (get, list, delta, delta-initial, download, write, permission)."""
    if kind == "permission":
        return 5
    if kind in ("list", "delta-initial", "search"):
        return 2
    if method.upper() not in ("GET", "HEAD"):
        return 2
    return 1


class ResourceUnits:
    """RU budgets per app (client id) in one-minute windows."""

    def __init__(self, clock: Clock, budget: int = DEFAULT_BUDGET) -> None:
        self.clock = clock
        self.budget = budget
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}
        self.spent: dict[str, int] = {}

    def reset(self, budget: int = DEFAULT_BUDGET) -> None:
        with self._lock:
            self.budget = budget
            self._windows.clear()
            self.spent.clear()

    def charge(self, app: str, units: int) -> Charge:
        """Spend `units` of `app`'s budget, or refuse with the wait until the window ends."""
        now = self.clock.now()
        with self._lock:
            window = self._windows.get(app)
            if window is None or now >= window.start + WINDOW:
                window = self._windows[app] = _Window(now, 0)
            reset = max(1, math.ceil(window.start + WINDOW - now))
            if window.used + units > self.budget:
                headers = self._headers(window, reset, force=True)
                return Charge(False, {**headers, "retry-after": str(reset)}, reset)
            window.used += units
            self.spent[app] = self.spent.get(app, 0) + units
            return Charge(True, self._headers(window, reset))

    def _headers(self, window: _Window, reset: int, force: bool = False) -> dict[str, str]:
        if not force and window.used < self.budget * WARN_AT:
            return {}
        return {
            "ratelimit-limit": str(self.budget),
            "ratelimit-remaining": str(max(0, self.budget - window.used)),
            "ratelimit-reset": str(reset),
        }

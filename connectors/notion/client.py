"""notion-client plumbing: the pinned version, a token per request, a shared rate budget, Notion's errors.

Notion allows an average of three requests per second per connection. Every request of every
connector on one connection draws on one `RateBudget`, so several agents sharing a connection
stay under it together; a 429 closes the budget for its Retry-After for all of them. notion-client's
own retries are off: it would re-send writes after a 5xx, and Charter must first look for the
effect of the lost attempt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from notion_client import APIResponseError, Client
from notion_client.errors import NotionClientErrorBase

from charter.auth.providers.notion import API_BASE, NOTION_VERSION, capability_hint
from charter.connectors.base import Credentials, TokenRejected
from charter.connectors.http import RefreshingAuth, TrafficCount, retry_after
from charter.connectors.notion.errors import EditConflict, SeenIds, ids_in, missing
from charter.connectors.paging import PageTrail
from charter.schemas import (
    CharterError,
    RateLimited,
    ScopeMissing,
    UpstreamError,
    ValidationError,
)
from charter.schemas.types import JsonObject

RATE_PER_SECOND = 3.0
BURST = 3.0
MARGIN = 0.005
# A clock that goes back further than this was reset, not raced by another thread.
CLOCK_JUMP = 60.0
# A 409 conflict_error wrote nothing; Notion says to try again, so the request is re-sent after a pause.
CONFLICT_RETRIES = 2
CONFLICT_PAUSE = 0.5
_SERVER_ERRORS = {"internal_server_error", "service_unavailable", "gateway_timeout", "bad_gateway"}


class RateBudget:
    """A token bucket of `per_second` requests with a short burst, closed while a Retry-After runs."""

    def __init__(self, per_second: float = RATE_PER_SECOND, burst: float = BURST) -> None:
        self.per_second = per_second
        self.burst = burst
        self._lock = threading.Lock()
        self._level = burst
        self._at: float | None = None
        self._closed_until = 0.0
        self.waited = 0.0

    def take(self, now: float) -> float:
        """Seconds to wait before one request may go at `now` (0: go now); the request is counted.

        The request counts at the moment it will be sent, after the wait, so requests queued by
        several threads are spaced one after the other.
        """
        with self._lock:
            if self._at is None or now < self._at - CLOCK_JUMP:
                # First use, or a clock that went back (a sandbox reset): start full.
                self._at, self._level, self._closed_until = now, self.burst, 0.0
            start = max(now, self._at)
            go = max(start, self._closed_until)
            level = min(self.burst, self._level + (go - self._at) * self.per_second)
            if level < 1.0:
                # A few milliseconds over the exact refill: Notion's clock and ours need not agree to the ulp.
                go += (1.0 - level) / self.per_second + MARGIN
                level = 1.0
            self._level, self._at = level - 1.0, go
            self.waited += go - now
            return go - now

    def answered(self, now: float) -> None:
        """A request came back at `now`: Notion may have counted it as late as that, so refill from there."""
        with self._lock:
            if self._at is not None and now > self._at:
                self._at = now

    def close_for(self, seconds: float, now: float) -> None:
        """Notion said wait: nobody on this connection sends before `now + seconds`."""
        with self._lock:
            self._closed_until = max(self._closed_until, now + seconds)
            self._level = 0.0


_budgets: dict[tuple[str, str], RateBudget] = {}
_budgets_lock = threading.Lock()


def budget_for(base_url: str, connection_id: str) -> RateBudget:
    """The one budget of a connection, shared by every connector in the process."""
    with _budgets_lock:
        return _budgets.setdefault((base_url, connection_id), RateBudget())


class NotionApi:
    """The calls the connector makes, through one notion-client `Client`, each within the budget."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str | None,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        capabilities: Callable[[], tuple[str, ...]],
        seen: SeenIds,
        timeout: float = 30.0,
        max_wait: float = 60.0,
    ) -> None:
        self.credentials = credentials
        self.base_url = (base_url or API_BASE).rstrip("/")
        self.budget = budget_for(self.base_url, credentials.connection_id)
        self.sleep = sleep
        self.clock = clock
        self.requests = 0
        self.traffic = TrafficCount()
        self._capabilities = capabilities
        self.seen = seen
        self.max_wait = max_wait
        quiet = logging.getLogger("charter.connectors.notion.client")
        self.client = Client(
            base_url=self.base_url,
            notion_version=NOTION_VERSION,
            retry=False,
            logger=quiet,
            log_level=logging.CRITICAL,
            # A 401 is answered below notion-client: one refresh with the rejected token, sent once more.
            client=self.traffic.attach(httpx.Client(timeout=timeout, auth=RefreshingAuth(credentials))),
        )

    def __repr__(self) -> str:
        return f"<NotionApi {self.base_url} connection={self.credentials.connection_id!r}>"

    def call(
        self, subject: str, method: Callable[..., Any], *, about: str | None = None, **kwargs: Any
    ) -> JsonObject:
        """One request: wait for the budget, send with a fresh token, translate Notion's errors.

        `about` is the id the request concerns, so a 404 can say whether it is only unshared.
        """
        waited, conflicts = 0.0, 0
        while True:
            wait = self.budget.take(self.clock())
            if wait > 0:
                self.sleep(wait)
            self.requests += 1
            try:
                try:
                    with self._translated(subject, about):
                        result = method(**kwargs)
                finally:
                    self.budget.answered(self.clock())
                break
            # Notion did not act on a request it refused with 409 or 429 (nor 401, which `RefreshingAuth`
            # answers), so this one request is sent again here; letting the whole action run again would
            # repeat the parts already written.
            except RateLimited as exc:
                pause = float(exc.details.get("retry_after") or 1.0)
                if waited + pause > self.max_wait:
                    raise
                self.sleep(pause)
                waited += pause
            except EditConflict:
                if conflicts >= CONFLICT_RETRIES:
                    raise
                self.sleep(CONFLICT_PAUSE * 2**conflicts)
                conflicts += 1
        if not isinstance(result, dict):
            raise UpstreamError(f"Notion sent an unexpected answer about {subject}; try again.")
        self.seen.add(ids_in(result))
        return result

    def pages_of(self, subject: str, method: Callable[..., Any], **kwargs: Any) -> Iterator[JsonObject]:
        """Every result of a listing, 100 at a time (Notion's maximum page size)."""
        cursor: str | None = None
        trail = PageTrail("Notion", subject)
        while True:
            more = {"start_cursor": cursor} if cursor else {}
            page = self.call(subject, method, page_size=100, **more, **kwargs)
            yield from page.get("results", [])
            cursor = trail.follow(page.get("next_cursor") if page.get("has_more") else None)
            if cursor is None:
                return

    @contextmanager
    def _translated(self, subject: str, about: str | None) -> Iterator[None]:
        try:
            yield
        except CharterError:
            raise
        except APIResponseError as exc:
            raise self._error(exc, subject, about) from None
        except NotionClientErrorBase:
            raise UpstreamError(
                f"Notion did not answer in time about {subject}; try again shortly."
            ) from None
        except httpx.HTTPError:
            raise UpstreamError(
                f"the connection to Notion failed while working on {subject}; try again."
            ) from None

    def _error(self, exc: APIResponseError, subject: str, about: str | None) -> Exception:
        code = getattr(exc.code, "value", exc.code)
        message = str(exc).strip()
        if code == "unauthorized":
            return TokenRejected()
        if code == "rate_limited":
            wait = _retry_after(exc.headers)
            self.budget.close_for(wait, self.clock())
            return RateLimited(
                f"Notion asked to slow down; wait {wait:.0f} s before {subject} again.", retry_after=wait
            )
        if code == "restricted_resource":
            caps = self._capabilities()
            return ScopeMissing(
                f"Notion refused {subject}: the integration lacks a capability it needs; "
                f"{capability_hint(caps)}.",
                missing=list(caps),
            )
        if code == "object_not_found":
            return missing(subject, about is not None and about in self.seen)
        if code == "conflict_error":
            return EditConflict(
                f"Notion saw a conflicting edit of the same object while {subject} and wrote nothing of "
                "this request; read it again and retry shortly."
            )
        if code in _SERVER_ERRORS or exc.status >= 500:
            return UpstreamError(f"Notion failed ({exc.status}) while {subject}; try again shortly.")
        return ValidationError(f"Notion refused {subject}: {message} Nothing was changed; fix the request.")


def _retry_after(headers: Any) -> float:
    wait = retry_after(dict(headers or {}))
    return 1.0 if wait is None else wait


__all__ = ["BURST", "RATE_PER_SECOND", "NotionApi", "RateBudget", "budget_for"]

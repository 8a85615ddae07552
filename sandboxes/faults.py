"""Fault injection shared by every sandbox: latency, errors, rate limits, dropped connections, tokens.

Some faults commit and then lose the answer: `drop_after` closes the connection once the change
is made, `stall_after` makes it and answers only after a delay longer than the client waits, and
`stall_before` holds the request first, so the service commits after the client gave up.

Faults are counted ("the next N matching calls"), so tests are deterministic. After a rate-limit
answer the sandbox watches the client: a matching request that arrives before Retry-After has
elapsed is recorded in `early_retries`, one that waited in `honoured_waits`.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass
from typing import Literal

from charter.sandboxes.clock import Clock
from charter.sandboxes.tokens import TokenStore

FaultKind = Literal[
    "fail", "rate_limit", "drop_before", "drop_after", "stall_before", "stall_after", "replay"
]
DropWhen = Literal["before", "after"]


@dataclass
class FaultRule:
    """One armed fault: applies to the next `remaining` requests that match."""

    kind: FaultKind
    remaining: int
    method: str | None = None
    path: str | None = None
    status: int = 503
    retry_after: int = 1
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one this rule aims at."""
        return _match(self.method, self.path, method, path)


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request before (and after) the service handles it."""

    latency: float = 0.0
    kind: FaultKind | None = None
    status: int = 0
    retry_after: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class RetryObservation:
    """A request that followed a rate-limit answer, and how it timed its return."""

    method: str
    path: str
    at: float
    seconds_early: float


@dataclass
class _Wait:
    method: str | None
    path: str | None
    not_before: float


def _match(want_method: str | None, want_path: str | None, method: str, path: str) -> bool:
    if want_method is not None and want_method.upper() != method.upper():
        return False
    return want_path is None or want_path == path or fnmatch.fnmatchcase(path, want_path)


class Faults:
    """The faults armed on one sandbox; every method is safe to call from test code while it serves."""

    def __init__(self, clock: Clock, tokens: TokenStore | None = None) -> None:
        self.clock = clock
        self.tokens = tokens
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._latency: list[tuple[float, str | None, str | None]] = []
        self._waits: list[_Wait] = []
        self.early_retries: list[RetryObservation] = []
        self.honoured_waits: list[RetryObservation] = []

    def __repr__(self) -> str:
        return f"Faults(rules={len(self._rules)}, latency={len(self._latency)})"

    def clear(self) -> None:
        """Disarm everything and forget what was observed."""
        with self._lock:
            self._rules.clear()
            self._latency.clear()
            self._waits.clear()
            self.early_retries = []
            self.honoured_waits = []

    def set_latency(self, seconds: float, *, method: str | None = None, path: str | None = None) -> None:
        """Delay every matching request by `seconds` (0 removes all latency)."""
        with self._lock:
            if seconds <= 0:
                self._latency.clear()
            else:
                self._latency.append((seconds, method, path))

    def fail_next(
        self, times: int = 1, *, status: int = 503, method: str | None = None, path: str | None = None
    ) -> None:
        """Answer the next `times` matching requests with `status` (a 5xx) without handling them."""
        self._arm(FaultRule("fail", times, method, path, status=status))

    def rate_limit_next(
        self,
        times: int = 1,
        *,
        retry_after: int = 1,
        status: int = 429,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next `times` matching requests as rate limited, with `Retry-After: retry_after`."""
        if retry_after < 0:
            raise ValueError("retry_after is a number of seconds, at least 0")
        self._arm(FaultRule("rate_limit", times, method, path, status=status, retry_after=retry_after))

    def drop_next(
        self,
        times: int = 1,
        *,
        when: DropWhen = "before",
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Close the connection without an answer: `before` handling, or `after` the change committed."""
        kind: FaultKind = "drop_before" if when == "before" else "drop_after"
        self._arm(FaultRule(kind, times, method, path))

    def stall_next(
        self,
        times: int = 1,
        *,
        seconds: float,
        when: DropWhen = "after",
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Hold the next `times` matching requests for `seconds`: `before` handling them (the change
        lands after a client with a shorter timeout gave up) or `after` (committed, answered late)."""
        if seconds <= 0:
            raise ValueError("seconds must be more than 0")
        kind: FaultKind = "stall_before" if when == "before" else "stall_after"
        self._arm(FaultRule(kind, times, method, path, seconds=seconds))

    def replay_next(self, times: int = 1, *, method: str | None = None, path: str | None = None) -> None:
        """Answer the next `times` matching requests with the answer the last one to the same path got,
        whatever their query or body asked: a service stuck on one page hands back the same cursor."""
        self._arm(FaultRule("replay", times, method, path))

    def arm(self, rule: FaultRule) -> None:
        """Arm a rule built by the caller (e.g. a `FaultRule` subclass with its own `matches`)."""
        self._arm(rule)

    def _arm(self, rule: FaultRule) -> None:
        if rule.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._rules.append(rule)

    @property
    def armed(self) -> list[FaultRule]:
        """Rules that still have requests to hit."""
        with self._lock:
            return [r for r in self._rules if r.remaining > 0]

    def decide(self, method: str, path: str) -> FaultDecision:
        """Consume the first matching armed rule for this request; called by the framework."""
        now = self.clock.now()
        with self._lock:
            self._observe_retry(method, path, now)
            latency = max((s for s, m, p in self._latency if _match(m, p, method, path)), default=0.0)
            for rule in self._rules:
                if rule.remaining > 0 and rule.matches(method, path):
                    rule.remaining -= 1
                    if rule.kind == "rate_limit":
                        self._waits.append(_Wait(rule.method, rule.path, now + rule.retry_after))
                    return FaultDecision(latency, rule.kind, rule.status, rule.retry_after, rule.seconds)
            self._rules = [r for r in self._rules if r.remaining > 0]
        return FaultDecision(latency)

    def _observe_retry(self, method: str, path: str, now: float) -> None:
        keep: list[_Wait] = []
        for wait in self._waits:
            if not _match(wait.method, wait.path, method, path):
                keep.append(wait)
            elif now < wait.not_before:
                self.early_retries.append(RetryObservation(method, path, now, wait.not_before - now))
                keep.append(wait)
            else:
                self.honoured_waits.append(RetryObservation(method, path, now, 0.0))
        self._waits = keep

    def _store(self) -> TokenStore:
        if self.tokens is None:
            raise RuntimeError("this sandbox issues no tokens")
        return self.tokens

    def expire_access_tokens(self) -> int:
        """Every access token issued so far expires now (refresh tokens still work)."""
        return self._store().expire_access_tokens()

    def revoke_tokens(self, login: str | None = None) -> int:
        """Revoke every token, or only those of `login`, as if the person removed the app."""
        return self._store().revoke_all(login)

    def expire_refresh_tokens(self) -> int:
        """Every refresh token issued so far expires now."""
        return self._store().expire_refresh_tokens()

    def status(self) -> dict[str, object]:
        """A JSON-friendly view for the `/_sandbox/faults` route."""
        with self._lock:
            return {
                "armed": [vars(r).copy() for r in self._rules if r.remaining > 0],
                "latency": [{"seconds": s, "method": m, "path": p} for s, m, p in self._latency],
                "early_retries": [vars(o).copy() for o in self.early_retries],
                "honoured_waits": [vars(o).copy() for o in self.honoured_waits],
            }

"""One HTTP layer for connectors: the default status → error table, rate-limit headers, 401 → refresh.

A connector reads its service's error body for what only that service says (GitHub's scope headers,
Google's reasons, Notion's codes) and hands every other answer to `error_for_status`. Rate-limit
headers are read once here, whichever of the three conventions a service uses: `Retry-After`
(seconds or an HTTP-date, RFC 9110 §10.2.3), GitHub-style `X-RateLimit-Remaining/Reset` (an epoch
time) and the IETF `RateLimit` / `RateLimit-Reset` fields (seconds from now), with `RateLimit-Policy`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from charter.connectors.credentials import Credentials
from charter.schemas import Conflict, NotFound, RateLimited, ScopeMissing, UpstreamError, ValidationError


class TokenRejected(Exception):
    """Raised by a connector when the provider rejected the access token (HTTP 401).

    The connector base answers it with one refresh and one retry; it never leaves the connector.
    """


# `RateLimit: limit=100, remaining=0, reset=30` (draft 7 and later): one key=value list.
_FIELD = re.compile(r"\b(limit|remaining|reset|r|t)\s*=\s*(\d+(?:\.\d+)?)")


def _lowered(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {str(k).lower(): str(v).strip() for k, v in (headers or {}).items()}


def _number(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and value >= 0 else None


def _ratelimit_fields(headers: Mapping[str, str]) -> dict[str, float]:
    """The IETF `RateLimit` field's members, and the separate `RateLimit-*` fields of earlier drafts."""
    out: dict[str, float] = {}
    for key, value in _FIELD.findall(headers.get("ratelimit", "")):
        out[{"r": "remaining", "t": "reset"}.get(key, key)] = float(value)
    for key in ("limit", "remaining", "reset"):
        value = _number(headers.get(f"ratelimit-{key}"))
        if value is not None:
            out.setdefault(key, value)
    return out


def rate_limit_exhausted(headers: Mapping[str, str] | None) -> bool:
    """Whether the answer says no requests are left in the current window (either convention)."""
    lowered = _lowered(headers)
    if lowered.get("x-ratelimit-remaining") == "0":
        return True
    return _ratelimit_fields(lowered).get("remaining") == 0


def retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds the service asks to wait before the next request, or None when it does not say."""
    lowered = _lowered(headers)
    clock = time.time() if now is None else now
    raw = lowered.get("retry-after", "")
    seconds = _number(raw)
    if seconds is not None:
        return seconds
    if raw:
        try:
            return max(0.0, parsedate_to_datetime(raw).timestamp() - clock)
        except (TypeError, ValueError, IndexError):
            pass  # an unreadable Retry-After: the other fields may still say
    fields = _ratelimit_fields(lowered)
    if fields.get("remaining") == 0 and "reset" in fields:
        return fields["reset"]
    reset = _number(lowered.get("x-ratelimit-reset"))
    if lowered.get("x-ratelimit-remaining", "0") == "0" and reset is not None:
        # The epoch second the window ends (GitHub's convention); one more, as it ends within it.
        return max(0.0, reset - clock) + 1.0
    return None


def error_for_status(
    status: int,
    service: str,
    subject: str,
    *,
    headers: Mapping[str, str] | None = None,
    said: str = "",
    default_wait: float = 1.0,
) -> Exception:
    """The default Charter error (or `TokenRejected`) for an error answer a connector did not read itself."""
    said = said or f"HTTP {status}"
    if status == 401:
        return TokenRejected()
    if status == 429 or (status in (403, 503) and retry_after(headers) is not None):
        wait = retry_after(headers)
        wait = default_wait if wait is None else wait
        return RateLimited(
            f"{service} is limiting requests; wait {wait:.0f} s before working on {subject} again.",
            retry_after=wait,
        )
    if status == 403:
        return ScopeMissing(
            f"{service} refused access to {subject} ({said}); the account needs more permission."
        )
    if status == 404:
        return NotFound(f"{subject} not found or not visible to this connection.")
    if status in (409, 412, 423):
        return Conflict(f"{service} refused the change to {subject}: {said}; read it again and retry.")
    if status >= 500:
        return UpstreamError(f"{service} failed ({status}) while working on {subject}; try again shortly.")
    return ValidationError(
        f"{service} did not accept the request about {subject} ({status}: {said}); nothing was changed. "
        "Fix the arguments and try again."
    )


class RefreshingAuth(httpx.Auth):
    """Bearer auth from a connection; a 401 refreshes with the token it rejected and sends once more.

    The refresh names the rejected token, so the vault's single-flight refresh hands a caller whose
    token another caller already replaced the new one instead of refreshing again. A 401 means the
    service did not act, so sending the same request again cannot repeat a write.
    """

    def __init__(self, credentials: Credentials, scheme: str = "Bearer") -> None:
        self.credentials = credentials
        self.scheme = scheme

    def __repr__(self) -> str:
        return f"<RefreshingAuth connection={self.credentials.connection_id!r}>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.credentials.access_token()
        request.headers["Authorization"] = f"{self.scheme} {token}"
        response = yield request
        if response.status_code == 401:
            fresh = self.credentials.refresh(token)
            request.headers["Authorization"] = f"{self.scheme} {fresh}"
            yield request


@dataclass
class TrafficCount:
    """Requests sent and bytes moved by one httpx client, for benchmarks and `requests` figures."""

    requests: int = 0
    sent_bytes: int = 0
    received_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def attach(self, client: httpx.Client) -> httpx.Client:
        """Count every request `client` sends from now on; returns the client."""
        hooks = client.event_hooks
        client.event_hooks = {
            "request": [*hooks.get("request", []), self._sent],
            "response": [*hooks.get("response", []), self._received],
        }
        return client

    def _sent(self, request: httpx.Request) -> None:
        size = len(request.content) if request.stream is not None and _buffered(request) else 0
        with self._lock:
            self.requests += 1
            self.sent_bytes += size

    def _received(self, response: httpx.Response) -> None:
        size = int(response.headers.get("content-length") or 0)
        with self._lock:
            self.received_bytes += size


def _buffered(request: httpx.Request) -> bool:
    try:
        request.content  # noqa: B018 - raises for a streaming body, which is not counted
    except httpx.RequestNotRead:
        return False
    return True


__all__ = [
    "RefreshingAuth",
    "TokenRejected",
    "TrafficCount",
    "error_for_status",
    "rate_limit_exhausted",
    "retry_after",
]

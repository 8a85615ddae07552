"""The default status → error table and the rate-limit headers, for every connector whatever its client.

A connector reads its service's error body for what only that service says (GitHub's scope headers,
Google's reasons, Notion's codes) and hands every other answer to `error_for_status`. Rate-limit
headers are read once here, whichever of the three conventions a service uses: `Retry-After`
(seconds or an HTTP-date, RFC 9110 §10.2.3), GitHub-style `X-RateLimit-Remaining/Reset` (an epoch
time) and the IETF `RateLimit` / `RateLimit-Reset` fields (seconds from now), with `RateLimit-Policy`.
Plain functions of status and headers: a connector on another client library (GitHub's on PyGithub
and requests) uses them without importing httpx.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

from charter.connectors.credentials import TokenRejected
from charter.schemas import Conflict, NotFound, RateLimited, ScopeMissing, UpstreamError, ValidationError

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


__all__ = ["error_for_status", "rate_limit_exhausted", "retry_after"]

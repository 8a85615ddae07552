"""Google's error answers as Charter errors, for every connector over a Google API.

Google reports errors as `{"error": {"code", "message", "errors": [{"reason", "domain"}], "status"}}`.
The reason decides, not the status: a 403 `rateLimitExceeded` / `userRateLimitExceeded` (domain
`usageLimits`) is a rate limit to wait out, never a permission problem, while a 403
`insufficientPermissions` means the token lacks a scope.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from googleapiclient.errors import HttpError

from charter.connectors.base import TokenRejected
from charter.connectors.http import error_for_status, retry_after
from charter.schemas import (
    CharterError,
    Conflict,
    RateLimited,
    ScopeMissing,
)

RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
DAILY_REASONS = frozenset({"dailyLimitExceeded", "dailyLimitExceededUnreg"})
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
# Per-user quotas are per second (Gmail) or per minute (Calendar): a second is the usual wait.
DEFAULT_WAIT = 1.0
DAILY_WAIT = 3600.0
_SCOPE_IN_CHALLENGE = re.compile(r'scope="([^"]*)"')


@dataclass(frozen=True)
class GoogleError:
    """One error answer, read: status, Google's reasons and message, and the headers that matter."""

    status: int
    reasons: tuple[str, ...]
    domains: tuple[str, ...]
    message: str
    retry_after: float | None = None
    challenge: str = ""

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else ""


def read_error(status: int, content: bytes | str, headers: Mapping[str, str]) -> GoogleError:
    """Parse an error answer, tolerating a body that is not Google's JSON shape."""
    lowered = {k.lower(): str(v) for k, v in headers.items()}
    try:
        data = json.loads(content or b"{}")
    except ValueError:
        data = {}
    error: Any = data.get("error") if isinstance(data, dict) else None
    details = error.get("errors") if isinstance(error, dict) else None
    parts = [d for d in details or [] if isinstance(d, dict)]
    message = str(error.get("message") or "") if isinstance(error, dict) else ""
    if not message and isinstance(error, str):
        message = error
    return GoogleError(
        status=status,
        reasons=tuple(str(p.get("reason") or "") for p in parts if p.get("reason")),
        domains=tuple(str(p.get("domain") or "") for p in parts if p.get("domain")),
        message=message.strip(),
        retry_after=retry_after(lowered),
        challenge=lowered.get("www-authenticate", ""),
    )


def is_rate_limit(error: GoogleError) -> bool:
    """A 429, or a 403 whose reason (or domain) says quota: wait and retry, never re-consent."""
    if error.status == 429:
        return True
    if error.status != 403:
        return False
    reasons = set(error.reasons)
    return bool(reasons & (RATE_REASONS | DAILY_REASONS)) or (
        "usageLimits" in error.domains and not reasons & SCOPE_REASONS
    )


def error_for(error: GoogleError, subject: str) -> Exception:
    """The Charter error (or `TokenRejected`) for one Google error answer about `subject`."""
    status, said = error.status, error.message or f"HTTP {error.status}"
    details = {"reason": error.reason} if error.reason else {}
    if status == 401:
        return TokenRejected()
    if is_rate_limit(error):
        daily = bool(set(error.reasons) & DAILY_REASONS)
        wait = error.retry_after or (DAILY_WAIT if daily else DEFAULT_WAIT)
        return RateLimited(
            f"Google's {'daily' if daily else 'per-user'} quota is used up; wait {wait:.0f} s before "
            f"working on {subject} again.",
            retry_after=wait,
            **details,
        )
    if status == 403 and (set(error.reasons) & SCOPE_REASONS or "insufficient_scope" in error.challenge):
        wanted = _SCOPE_IN_CHALLENGE.search(error.challenge)
        missing = sorted(wanted.group(1).split()) if wanted else []
        scope_text = f" ({' or '.join(missing)})" if missing else ""
        return ScopeMissing(
            f"Google refused {subject}: this connection lacks the permission{scope_text}; connect "
            "Google again with the action enabled and approve it.",
            missing=missing,
            **details,
        )
    if status == 403:
        return ScopeMissing(
            f"Google refused access to {subject} ({said}); the account itself lacks permission there.",
            **details,
        )
    if status == 410:
        # Gone: a sync token or resource version too old, which a fresh read replaces.
        return Conflict(f"Google refused {subject}: {said}.", **details)
    failure = error_for_status(status, "Google", subject, said=said)
    if isinstance(failure, CharterError):
        failure.details.update(details)
    return failure


def error_from_http(exc: HttpError, subject: str) -> Exception:
    """The Charter error for a google-api-python-client `HttpError`."""
    resp = exc.resp
    return error_for(read_error(int(resp.status), exc.content, dict(resp)), subject)


@contextmanager
def translate_errors(subject: str) -> Iterator[None]:
    """Turn client-library failures about `subject` into Charter errors; never leaks a token."""
    try:
        yield
    except (CharterError, TokenRejected):
        raise
    except HttpError as exc:
        raise error_from_http(exc, subject) from None

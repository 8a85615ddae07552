"""Google's error answers: `{"error": {"code", "message", "errors": [...], "status"}}` with its headers."""

from __future__ import annotations

import json
from typing import Any

# The canonical gRPC status Google's JSON APIs put in `error.status`, by HTTP status.
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
REALM = 'Bearer realm="https://accounts.google.com/"'
INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
    "other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)
MISSING_CREDENTIALS = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class GoogleError(Exception):
    """An error answer in Google's JSON shape; `headers` are sent with it."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        reason: str,
        domain: str = "global",
        detail: str | None = None,
        status: str | None = None,
        headers: dict[str, str] | None = None,
        location: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.detail = detail or message
        self.status = status if status is not None else STATUS_NAMES.get(code, "")
        self.headers = headers or {}
        self.location = location

    def body(self) -> dict[str, Any]:
        """The JSON body Google sends for this error."""
        item: dict[str, Any] = {"message": self.detail, "domain": self.domain, "reason": self.reason}
        if self.location is not None:
            item["location"], item["locationType"] = self.location
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [item]}
        if self.status:
            error["status"] = self.status
        return {"error": error}

    def payload(self) -> bytes:
        """The body, encoded."""
        return json.dumps(self.body()).encode()


def bad_request(message: str, reason: str = "invalid") -> GoogleError:
    """A 400 about one argument."""
    return GoogleError(400, message, reason=reason)


def not_found(message: str = "Requested entity was not found.") -> GoogleError:
    """Gmail's 404 (Calendar says just "Not Found")."""
    return GoogleError(404, message, reason="notFound")


def unauthenticated(missing: bool) -> GoogleError:
    """The 401 for a request without credentials, or with an unknown, expired or revoked token."""
    if missing:
        return GoogleError(
            401,
            MISSING_CREDENTIALS,
            reason="required",
            detail="Login Required.",
            headers={"www-authenticate": REALM},
            location=("Authorization", "header"),
        )
    return GoogleError(
        401,
        INVALID_CREDENTIALS,
        reason="authError",
        detail="Invalid Credentials",
        headers={"www-authenticate": f'{REALM}, error="invalid_token"'},
        location=("Authorization", "header"),
    )


def insufficient_scope(accepted: tuple[str, ...]) -> GoogleError:
    """The 403 for a token that holds none of the scopes the method accepts."""
    challenge = f'{REALM}, error="insufficient_scope", scope="{" ".join(accepted)}"'
    return GoogleError(
        403,
        "Request had insufficient authentication scopes.",
        reason="insufficientPermissions",
        detail="Insufficient Permission",
        headers={"www-authenticate": challenge},
    )


def rate_limited(status: int, reason: str, message: str, retry_after: int) -> GoogleError:
    """A quota answer: 429 `rateLimitExceeded`, or 403 `userRateLimitExceeded` / `rateLimitExceeded`."""
    return GoogleError(
        status,
        message,
        reason=reason,
        domain="usageLimits",
        status="RESOURCE_EXHAUSTED" if status == 429 else "PERMISSION_DENIED",
        headers={"retry-after": str(retry_after)},
    )

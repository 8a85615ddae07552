"""One error hierarchy for everything Charter raises, each with a stable machine code.

Messages are written for whoever reads them next, an LLM or a person: they say what went
wrong and what to do about it. They never carry a token or a secret.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CharterError(Exception):
    """Base of every Charter error; `code` is stable, `message` says what to do next."""

    code: ClassVar[str] = "charter_error"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details

    def to_dict(self) -> dict[str, Any]:
        """The error as tool output: code, message, whether a retry may help, details."""
        return {
            "error": self.code,
            "message": self.message,
            "retryable": self.retryable,
            **({"details": self.details} if self.details else {}),
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class AuthRequired(CharterError):
    """The connection is missing, revoked or its refresh token expired: the person must connect again."""

    code = "auth_required"


class ScopeMissing(CharterError):
    """The provider token lacks a scope the action needs."""

    code = "scope_missing"


class GrantDenied(CharterError):
    """The grant does not allow this call (forged, expired, revoked, out of budget or scope)."""

    code = "grant_denied"


class ApprovalRequired(CharterError):
    """The call is paused until a person approves it."""

    code = "approval_required"


class ValidationError(CharterError):
    """The arguments do not fit the action's schema; nothing was sent."""

    code = "validation_error"


class RateLimited(CharterError):
    """The provider asked us to slow down; `retry_after` says how long."""

    code = "rate_limited"
    retryable = True


class NotFound(CharterError):
    """The resource does not exist or the connection cannot see it."""

    code = "not_found"


class Conflict(CharterError):
    """The change conflicts with the resource's current state."""

    code = "conflict"


class UpstreamError(CharterError):
    """The provider failed in a way Charter could not recover from."""

    code = "upstream_error"
    retryable = True


class NoAnswer(UpstreamError):
    """A request went out and no answer came back (timeout, dropped connection): it may have acted."""


class OutcomeUnknown(CharterError):
    """A write may or may not have happened and Charter could not find out; it was not sent again.

    A later call with the same idempotency key looks for the write first and never sends it twice.
    """

    code = "outcome_unknown"
    retryable = True


class ConfigurationError(CharterError):
    """Charter itself is set up wrongly (missing key, unknown connector, bad home)."""

    code = "configuration_error"


class MissingExtra(ConfigurationError, ModuleNotFoundError):
    """A feature needs a library from one of charter's pip extras that is not installed.

    Also a `ModuleNotFoundError`, so code that guards an optional import keeps working.
    """

    code = "missing_extra"

    def __init__(self, extra: str, module: str, *, hint: str = "") -> None:
        message = (
            f"this needs the {extra} extra ({module} is not installed): install charter[{extra}], "
            f"e.g. pip install 'charter[{extra}]' (in a clone: .venv/bin/pip install -e '.[{extra}]')"
            + (f"; {hint}" if hint else "")
        )
        ConfigurationError.__init__(self, message, extra=extra, module=module)
        self.name = module


class DatabaseUnavailable(CharterError):
    """The shared database could not answer (unreachable, restarting, or a lock conflict): retry."""

    code = "database_unavailable"
    retryable = True


ERRORS_BY_CODE: dict[str, type[CharterError]] = {
    cls.code: cls
    for cls in (
        CharterError,
        AuthRequired,
        ScopeMissing,
        GrantDenied,
        ApprovalRequired,
        ValidationError,
        RateLimited,
        NotFound,
        Conflict,
        UpstreamError,
        OutcomeUnknown,
        ConfigurationError,
        MissingExtra,
        DatabaseUnavailable,
    )
}

"""Why a consent flow or a token request failed, each a charter error that says what to do next."""

from __future__ import annotations

from charter.schemas import AuthRequired


class ConsentError(AuthRequired):
    """The person's consent did not complete; nothing was connected."""


class ConsentDenied(ConsentError):
    """The person (or the provider on their behalf) declined the request: error=access_denied."""


class StateMismatch(ConsentError):
    """The redirect carried a state other than the one this flow sent: a forged or stale redirect."""


class ConsentTimeout(ConsentError):
    """No answer came back before the flow's time ran out."""


class DeviceCodeExpired(ConsentError):
    """The device code expired before the person entered the user code."""


class CodeRejected(ConsentError):
    """The provider refused to exchange the authorization code (used, expired or a PKCE mismatch)."""


class RefreshRejected(AuthRequired):
    """The provider refused the refresh token (revoked, expired or already rotated away)."""

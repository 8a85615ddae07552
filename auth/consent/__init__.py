"""Consent flows: loopback + PKCE (RFC 8252, RFC 7636), device code (RFC 8628), web redirect.

Protocol logic lives here once; what differs between providers (endpoints, how an account is
named, how a token is revoked) comes from `charter.auth.providers`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from charter.schemas.lazy import lazy_names

if TYPE_CHECKING:
    from charter.auth.consent.device import print_user_code, run_device_flow
    from charter.auth.consent.errors import (
        CodeRejected,
        ConsentDenied,
        ConsentError,
        ConsentTimeout,
        DeviceCodeExpired,
        RefreshRejected,
        StateMismatch,
    )
    from charter.auth.consent.loopback import open_in_browser, run_loopback_flow
    from charter.auth.consent.oauth import DeviceAuthorization, DevicePending, OAuthClient
    from charter.auth.consent.pkce import make_state, make_verifier, s256_challenge
    from charter.auth.consent.tokens import TokenSet
    from charter.auth.consent.urls import checked_base_url, require_listening
    from charter.auth.consent.web import AuthorizationRequest, authorization_url, complete

# The flows pull authlib and httpx; a process that only uses a stored token (an agent's call, an
# MCP server) never runs one, so each name loads its module on first use (PEP 562).
_HOMES = {
    **dict.fromkeys(("print_user_code", "run_device_flow"), "charter.auth.consent.device"),
    **dict.fromkeys(
        (
            "CodeRejected",
            "ConsentDenied",
            "ConsentError",
            "ConsentTimeout",
            "DeviceCodeExpired",
            "RefreshRejected",
            "StateMismatch",
        ),
        "charter.auth.consent.errors",
    ),
    **dict.fromkeys(("open_in_browser", "run_loopback_flow"), "charter.auth.consent.loopback"),
    **dict.fromkeys(("DeviceAuthorization", "DevicePending", "OAuthClient"), "charter.auth.consent.oauth"),
    **dict.fromkeys(("make_state", "make_verifier", "s256_challenge"), "charter.auth.consent.pkce"),
    "TokenSet": "charter.auth.consent.tokens",
    **dict.fromkeys(("checked_base_url", "require_listening"), "charter.auth.consent.urls"),
    **dict.fromkeys(("AuthorizationRequest", "authorization_url", "complete"), "charter.auth.consent.web"),
}
__getattr__, __dir__ = lazy_names(globals(), _HOMES)

__all__ = [
    "AuthorizationRequest",
    "CodeRejected",
    "ConsentDenied",
    "ConsentError",
    "ConsentTimeout",
    "DeviceAuthorization",
    "DeviceCodeExpired",
    "DevicePending",
    "OAuthClient",
    "RefreshRejected",
    "StateMismatch",
    "TokenSet",
    "authorization_url",
    "checked_base_url",
    "complete",
    "make_state",
    "make_verifier",
    "open_in_browser",
    "print_user_code",
    "require_listening",
    "run_device_flow",
    "run_loopback_flow",
    "s256_challenge",
]

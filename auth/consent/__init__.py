"""Consent flows: loopback + PKCE (RFC 8252, RFC 7636), device code (RFC 8628), web redirect.

Protocol logic lives here once; what differs between providers (endpoints, how an account is
named, how a token is revoked) comes from `charter.auth.providers`.
"""

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

"""GitHub's OAuth server on the sandbox: authorize (PKCE S256 required), token, device flow, revoke.

It behaves like a GitHub App's expiring user tokens (8 h access tokens, rotating refresh tokens)
while granting classic OAuth scopes. As on GitHub, the token endpoint reports errors with HTTP 200
and an `error` field, and answers JSON only when asked with `Accept: application/json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from charter.sandboxes.tokens import IssuedTokens

if TYPE_CHECKING:
    from charter.sandboxes.github.sandbox import GitHubSandbox

DEFAULT_CLIENT_ID = "Iv1.charter-sandbox"
DEFAULT_CLIENT_SECRET = "charter-sandbox-client-secret"


@dataclass
class OAuthClient:
    """A registered OAuth app; `client_secret` None makes it a public client."""

    client_id: str
    client_secret: str | None = field(repr=False)
    redirect_uris: list[str] = field(default_factory=list)


@dataclass
class AuthorizationCode:
    """A code handed out by the authorize endpoint, bound to its client, redirect and PKCE challenge."""

    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    login: str
    challenge: str
    expires_at: float
    used: bool = False


@dataclass
class DeviceGrant:
    """A device-flow authorization waiting for the person to enter `user_code`."""

    device_code: str = field(repr=False)
    user_code: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    interval: float
    status: Literal["pending", "approved", "denied", "used"] = "pending"
    login: str | None = None
    last_poll: float | None = None


@dataclass
class Consent:
    """How the simulated person answers a consent screen."""

    login: str = "mona"
    only: frozenset[str] | None = None
    deny: bool = False


def parse_scope_param(raw: str | None) -> frozenset[str]:
    """Scopes from a `scope` parameter, space- or comma-separated as GitHub accepts both."""
    return frozenset(s for s in (raw or "").replace(",", " ").split() if s)


def is_loopback_redirect(uri: str) -> bool:
    """RFC 8252 §7.3: an http redirect to the loopback IP literal, on any port."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1") and parts.port is not None


class GitHubOAuth:
    """Clients, codes, device grants and consent knobs of the sandbox's OAuth server."""

    def __init__(self, sandbox: GitHubSandbox) -> None:
        self.sandbox = sandbox
        self.clients: dict[str, OAuthClient] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.devices: dict[str, DeviceGrant] = {}
        self.consent = Consent()
        self.device_interval: float = 5
        self.device_expires_in = 900
        self.slow_down_step: float = 5
        self.code_ttl = 600
        self.reset()

    def __repr__(self) -> str:
        return (
            f"GitHubOAuth(clients={sorted(self.clients)}, pending_devices={len(self.pending_user_codes())})"
        )

    def reset(self) -> None:
        """Back to one registered client, auto-consent as mona, default device-flow timing."""
        self.clients = {DEFAULT_CLIENT_ID: OAuthClient(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)}
        self.codes.clear()
        self.devices.clear()
        self.consent = Consent()
        self.device_interval, self.device_expires_in, self.slow_down_step = 5, 900, 5

    # Knobs for tests.
    def register_client(
        self, client_id: str, client_secret: str | None = None, redirect_uris: list[str] | None = None
    ) -> OAuthClient:
        """Register another OAuth app (public when `client_secret` is None)."""
        client = OAuthClient(client_id, client_secret, list(redirect_uris or []))
        self.clients[client_id] = client
        return client

    def sign_in_as(self, login: str) -> None:
        """The person who answers consent screens from now on."""
        self.consent.login = login

    def grant_only(self, scopes: set[str] | frozenset[str]) -> None:
        """The person grants at most these scopes, whatever the app asks for."""
        self.consent.only, self.consent.deny = frozenset(scopes), False

    def deny_consent(self) -> None:
        """The person refuses the next consent screens (redirect with error=access_denied)."""
        self.consent.deny = True

    def auto_consent(self) -> None:
        """The person grants everything asked (the default)."""
        self.consent.only, self.consent.deny = None, False

    def pending_user_codes(self) -> list[str]:
        """User codes of device grants still waiting for the person."""
        return [d.user_code for d in self.devices.values() if d.status == "pending"]

    def approve_device(self, user_code: str, *, login: str | None = None) -> None:
        """The person enters `user_code` and grants access (subject to `grant_only`)."""
        grant = self._device_by_user_code(user_code)
        grant.status, grant.login = "approved", login or self.consent.login
        grant.scopes = self.granted_scopes(grant.scopes)

    def deny_device(self, user_code: str) -> None:
        """The person enters `user_code` and refuses."""
        self._device_by_user_code(user_code).status = "denied"

    def _device_by_user_code(self, user_code: str) -> DeviceGrant:
        wanted = user_code.strip().upper()
        for grant in self.devices.values():
            if grant.user_code == wanted and grant.status == "pending":
                return grant
        raise KeyError(f"no pending device authorization with user code {user_code!r}")

    def issue_token(
        self,
        login: str = "mona",
        scopes: list[str] | set[str] | frozenset[str] | tuple[str, ...] = ("repo",),
        *,
        expires_in: int | None = -1,
        client_id: str = DEFAULT_CLIENT_ID,
    ) -> IssuedTokens:
        """Access + refresh tokens without running consent (`expires_in=-1`: GitHub's 8 h)."""
        if login not in self.sandbox.state.users:
            raise KeyError(f"unknown sandbox user {login!r}")
        return self.sandbox.tokens.issue(login, scopes, client_id, expires_in=expires_in)

    def granted_scopes(self, requested: frozenset[str]) -> frozenset[str]:
        return requested if self.consent.only is None else requested & self.consent.only

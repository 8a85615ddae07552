"""GitHub's OAuth server on the sandbox: authorize (PKCE S256 required), token, device flow, revoke.

It behaves like a GitHub App's expiring user tokens (8 h access tokens, rotating refresh tokens)
while granting classic OAuth scopes. As on GitHub, the token endpoint reports errors with HTTP 200
and an `error` field, and answers JSON only when asked with `Accept: application/json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from charter.sandboxes.oauth import Consent, ConsentKnobs
from charter.sandboxes.tokens import IssuedTokens

if TYPE_CHECKING:
    from charter.sandboxes.github.sandbox import GitHubSandbox

DEFAULT_CLIENT_ID = "Iv1.charter-sandbox"
DEFAULT_CLIENT_SECRET = "charter-sandbox-client-secret"


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
class GitHubConsent(Consent):
    """How the simulated person, signed in as `login`, answers a consent screen."""

    login: str = "mona"


def parse_scope_param(raw: str | None) -> frozenset[str]:
    """Scopes from a `scope` parameter, space- or comma-separated as GitHub accepts both."""
    return frozenset(s for s in (raw or "").replace(",", " ").split() if s)


class GitHubOAuth(ConsentKnobs):
    """Clients, codes, device grants and consent knobs of the sandbox's OAuth server."""

    consent: GitHubConsent

    def __init__(self, sandbox: GitHubSandbox) -> None:
        super().__init__(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        self.sandbox = sandbox
        self.codes: dict[str, AuthorizationCode] = {}
        self.devices: dict[str, DeviceGrant] = {}
        self.consent = GitHubConsent()
        self.device_interval: float = 5
        self.device_expires_in = 900
        self.slow_down_step: float = 5
        self.reset()

    def __repr__(self) -> str:
        return (
            f"GitHubOAuth(clients={sorted(self.clients)}, pending_devices={len(self.pending_user_codes())})"
        )

    def reset(self) -> None:
        """Back to one registered client, auto-consent as mona, default device-flow timing."""
        self.reset_clients()
        self.codes.clear()
        self.devices.clear()
        self.consent = GitHubConsent()
        self.device_interval, self.device_expires_in, self.slow_down_step = 5, 900, 5

    # Knobs for tests.
    def sign_in_as(self, login: str) -> None:
        """The person who answers consent screens from now on."""
        self.consent.login = login

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

"""Google's OAuth server on the sandbox: clients, consent knobs, earlier grants and test tokens.

It behaves like accounts.google.com for an app: PKCE (S256) required at the authorize endpoint,
refresh tokens only for `access_type=offline` and only on first consent (or `prompt=consent`),
`include_granted_scopes=true` returning the union of every scope granted so far, refresh tokens
that do not rotate and, for apps in "testing" status, expire after seven days.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from charter.sandboxes.google import discovery
from charter.sandboxes.oauth import Consent, ConsentKnobs
from charter.sandboxes.tokens import TokenFormat

if TYPE_CHECKING:
    from charter.sandboxes.google.sandbox import GoogleSandbox

DEFAULT_CLIENT_ID = "1042-charter-sandbox.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "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t"
AUTH = "https://www.googleapis.com/auth/"
OPENID_SCOPES = {
    "openid": "openid",
    "email": AUTH + "userinfo.email",
    "profile": AUTH + "userinfo.profile",
    AUTH + "userinfo.email": AUTH + "userinfo.email",
    AUTH + "userinfo.profile": AUTH + "userinfo.profile",
}
TESTING_REFRESH_TTL = 7 * 24 * 3600

# Access tokens live 3599 s as Google reports them; refresh tokens of published apps never expire.
GOOGLE_TOKENS = TokenFormat(
    access_prefix="ya29.a0",
    access_length=150,
    refresh_prefix="1//0",
    refresh_length=100,
    access_ttl=3599,
    refresh_ttl=None,
)


def known_scopes() -> frozenset[str]:
    """Every scope the sandbox can grant: Gmail's, Calendar's and the OpenID Connect ones."""
    out = set(OPENID_SCOPES.values())
    for api in discovery.DOCUMENTS:
        out |= set(discovery.load_document(api)["auth"]["oauth2"]["scopes"])
    return frozenset(out)


def normalise_scopes(raw: str | None) -> tuple[frozenset[str], list[str]]:
    """(scopes, unknown ones) from a space-separated `scope`; `email` becomes its full URL."""
    known = known_scopes()
    scopes: set[str] = set()
    unknown: list[str] = []
    for item in (raw or "").replace(",", " ").split():
        full = OPENID_SCOPES.get(item) or (item if item in known else AUTH + item)
        if full in known:
            scopes.add(full)
        else:
            unknown.append(item)
    return frozenset(scopes), unknown


@dataclass
class AuthorizationCode:
    """A code from the authorize endpoint, bound to its client, redirect, PKCE challenge and grant."""

    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    email: str
    challenge: str
    expires_at: float
    offline: bool
    force_refresh: bool
    used: bool = False


@dataclass
class GoogleConsent(Consent):
    """How the simulated person, signed in as `email`, answers the consent screen."""

    email: str = "mona@acme.com"


class GoogleOAuth(ConsentKnobs):
    """Clients, codes, earlier grants and the consent knobs of the sandbox's Google OAuth server."""

    consent: GoogleConsent

    def __init__(self, sandbox: GoogleSandbox) -> None:
        super().__init__(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        self.sandbox = sandbox
        self.codes: dict[str, AuthorizationCode] = {}
        self.granted: dict[tuple[str, str], frozenset[str]] = {}
        self.offline_granted: set[tuple[str, str]] = set()
        self.consent = GoogleConsent()
        self.rotate_refresh_tokens = False
        self.reset()

    def __repr__(self) -> str:
        return f"GoogleOAuth(clients={sorted(self.clients)}, grants={len(self.granted)})"

    def reset(self) -> None:
        """One registered client, auto-consent as mona@acme.com, a published (non-testing) app."""
        self.reset_clients()
        self.codes.clear()
        self.granted.clear()
        self.offline_granted.clear()
        self.consent = GoogleConsent()
        self.rotate_refresh_tokens = False
        self.testing_app(False)

    # Knobs for tests.
    def sign_in_as(self, email: str) -> None:
        """The account that answers consent screens from now on."""
        self.consent.email = email

    def grant_only(self, scopes: Iterable[str]) -> None:
        """The person grants at most these scopes (unticks the others), short names allowed."""
        super().grant_only(normalise_scopes(" ".join(scopes))[0])

    def testing_app(self, testing: bool = True) -> None:
        """An app in "testing" status: refresh tokens issued from now on expire after 7 days."""
        ttl = TESTING_REFRESH_TTL if testing else None
        self.sandbox.tokens.format = dataclasses.replace(GOOGLE_TOKENS, refresh_ttl=ttl)

    def expire_refresh_tokens(self) -> int:
        """Every refresh token issued so far expires now (the 7-day limit of testing apps, passed)."""
        return self.sandbox.tokens.expire_refresh_tokens()

    def issue_token(
        self,
        email: str = "mona@acme.com",
        scopes: list[str] | tuple[str, ...] | set[str] | frozenset[str] = (),
        *,
        expires_in: int | None = -1,
        client_id: str = DEFAULT_CLIENT_ID,
    ) -> tuple[str, str]:
        """(access token, refresh token) for `email` without running consent; scopes may be short."""
        if email not in self.sandbox.state.accounts:
            raise KeyError(f"unknown sandbox account {email!r}; known: {sorted(self.sandbox.state.accounts)}")
        full, unknown = normalise_scopes(" ".join(scopes))
        if unknown:
            raise ValueError(f"unknown Google scopes: {unknown}")
        issued = self.sandbox.tokens.issue(email, full, client_id, expires_in=expires_in)
        assert issued.refresh_token is not None
        return issued.access_token, issued.refresh_token

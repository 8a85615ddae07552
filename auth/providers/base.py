"""What Charter knows of an OAuth provider: its endpoints and its scope catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from charter.schemas import ConfigurationError

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Endpoints:
    """A provider's OAuth endpoints; the sandboxes serve the same paths on loopback."""

    authorize: str
    token: str
    device_code: str | None = None
    revoke: str | None = None
    api_base: str | None = None


@dataclass(frozen=True)
class ClientAuth:
    """The OAuth client a connection was made with; the secret is never shown."""

    client_id: str
    client_secret: str | None = field(default=None, repr=False)


AccountLookup = Callable[["httpx.Client", Endpoints, str], str]
"""Learns the account a fresh access token belongs to (its login or email)."""

Revoker = Callable[["httpx.Client", Endpoints, ClientAuth, str], None]
"""Revokes an access token at the provider; raises a CharterError when it could not."""

Refresher = Callable[["httpx.Client", Endpoints, ClientAuth, str, Iterable[str]], Any]
"""Refreshes through the provider's own client library (msal) instead of RFC 6749 §6.

Takes what the vault holds in the refresh-token field and the scopes granted before; returns a
`TokenSet` whose refresh token replaces the stored one, or raises `RefreshRejected`.
"""


@dataclass(frozen=True)
class Provider:
    """An OAuth provider. `implies` maps a scope to the narrower scopes it includes.

    Provider quirks live in the callables: `endpoint_layout` builds the endpoints under an OAuth
    and an API base (the real service or a sandbox), `account_lookup` names the account behind a
    token, and `revoker` replaces RFC 7009 revocation where the provider does it differently. Token
    endpoint quirks are hooks on authlib's client, in the spirit of its compliance hooks:
    `token_response_hooks` rewrite an answer before it is read, `error_names` map the provider's
    error names onto RFC 6749's, and `token_auth` / `token_body` / `token_headers` shape the request.
    """

    name: str
    display_name: str
    scope_separator: str = " "
    implies: Mapping[str, frozenset[str]] = field(default_factory=dict)
    supports_pkce: bool = True
    # Whether the authorize URL carries `scope`: Notion has none (capabilities are set per integration).
    scopes_in_authorize: bool = True
    # A token the person pasted (Notion's internal integrations): the client id its connection
    # records, and the `charter connect` flag that pastes a new one. It is never refreshed.
    pasted_token: tuple[str, str] | None = None
    supports_device_flow: bool = False
    default_oauth_base: str = ""
    default_api_base: str = ""
    endpoint_layout: Callable[[str, str], Endpoints] | None = None
    account_lookup: AccountLookup | None = None
    revoker: Revoker | None = None
    # Extra query parameters of every authorize URL (e.g. Google's incremental authorization).
    authorize_params: Mapping[str, str] = field(default_factory=dict)
    # Revoke with the refresh token when there is one: an expired access token cannot end the grant.
    revoke_refresh_token: bool = False
    # Revoking one token ends every token the app holds for the account (Google's revoke does).
    revoke_ends_account: bool = False
    refresher: Refresher | None = None
    # How the client authenticates to the token endpoint (authlib's names): GitHub and Google read
    # the credentials from the form, Notion only from HTTP Basic.
    token_auth: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post"
    # Seconds the provider still takes a refresh token after exchanging it: None when it does not
    # rotate refresh tokens (any retry works), 0 when the old one dies at once. It decides whether a
    # refresh whose answer was lost can be recovered by sending it again.
    refresh_reuse_window: float | None = None
    # How the token request's body is encoded: RFC 6749's form, or JSON where the provider
    # documents only that (Notion), with any headers its token endpoint requires.
    token_body: Literal["form", "json"] = "form"
    token_headers: Mapping[str, str] = field(default_factory=dict)
    # The provider's own names for RFC 6749 §5.2 errors, so the generic client knows only the RFC's.
    error_names: Mapping[str, str] = field(default_factory=dict)
    # authlib compliance hooks: each rewrites a token endpoint answer before authlib reads it.
    token_response_hooks: tuple[Callable[[httpx.Response], httpx.Response], ...] = ()

    def endpoints(self, oauth_base: str | None = None, api_base: str | None = None) -> Endpoints:
        """The endpoints under `oauth_base` and `api_base`, the provider's own by default."""
        if self.endpoint_layout is None:
            raise ConfigurationError(
                f"{self.display_name} has no endpoint layout; give the endpoints directly"
            )
        return self.endpoint_layout(
            (oauth_base or self.default_oauth_base).rstrip("/"),
            (api_base or self.default_api_base).rstrip("/"),
        )

    def expand(self, scopes: Iterable[str]) -> frozenset[str]:
        """Every scope that `scopes` grant, the implied ones included."""
        out: set[str] = set()
        todo = list(scopes)
        while todo:
            scope = todo.pop()
            if scope not in out:
                out.add(scope)
                todo.extend(self.implies.get(scope, ()))
        return frozenset(out)

    def missing_scopes(self, granted: Iterable[str], needed: Iterable[str]) -> frozenset[str]:
        """The needed scopes that the granted ones do not cover."""
        return frozenset(needed) - self.expand(granted)

    def parse_scopes(self, raw: str | None) -> frozenset[str]:
        """Scopes as the token endpoint reports them (GitHub uses commas, most use spaces)."""
        if not raw:
            return frozenset()
        parts = raw.replace(",", " ").split() if self.scope_separator == "," else raw.split()
        return frozenset(p.strip() for p in parts if p.strip())

"""Notion: public-integration OAuth, capabilities in place of scopes, and how Notion names and revokes.

Notion has no OAuth scopes. What an integration may do is set by its **capabilities**, switched on
in the integration's settings, and what it may see by the pages a person shares with it. Charter
treats the capabilities as the scope catalog: each Notion action declares the capabilities it
needs, a connection records those the person says the integration has, and a 403 from Notion is
answered by naming the capability to switch on.

OAuth quirks, as hooks on the shared client: `owner=user` on every authorize URL; the client
authenticates with HTTP Basic (authlib's `client_secret_basic`) and the token request's body is
JSON with a Notion-Version header, as Notion documents "Create a token"; every refresh returns a new
refresh token, so the rotated pair is always stored (the vault's single-flight refresh does that);
revocation posts the token with Basic credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from charter.auth.providers.base import ClientAuth, Endpoints, Provider
from charter.schemas import AuthRequired, ConfigurationError, UpstreamError

if TYPE_CHECKING:
    # Annotations only: httpx loads in the functions that talk to the provider, not with the catalog.
    import httpx

API_BASE = "https://api.notion.com"
NOTION_VERSION = "2025-09-03"
INTERNAL_CLIENT = "internal-integration"

READ_CONTENT = "read_content"
UPDATE_CONTENT = "update_content"
INSERT_CONTENT = "insert_content"
READ_COMMENTS = "read_comments"
INSERT_COMMENTS = "insert_comments"
USER_INFO = "read_user_info_without_email"
USER_EMAIL = "read_user_info_with_email"

# How each capability is labelled in the integration's settings, for messages that say what to enable.
CAPABILITY_LABELS: Mapping[str, str] = {
    READ_CONTENT: "Content capabilities → Read content",
    UPDATE_CONTENT: "Content capabilities → Update content",
    INSERT_CONTENT: "Content capabilities → Insert content",
    READ_COMMENTS: "Comment capabilities → Read comments",
    INSERT_COMMENTS: "Comment capabilities → Insert comments",
    USER_INFO: "User capabilities → Read user information without email addresses",
    USER_EMAIL: "User capabilities → Read user information including email addresses",
}
CAPABILITIES = tuple(CAPABILITY_LABELS)
SETTINGS = "the integration's Capabilities settings (Notion: Settings → Connections → Develop integrations)"


def capability_hint(capabilities: list[str] | tuple[str, ...] | frozenset[str]) -> str:
    """Where to switch the capabilities on, named as Notion labels them."""
    labels = "; ".join(CAPABILITY_LABELS.get(c, c) for c in sorted(capabilities))
    return f"enable {labels} in {SETTINGS}"


def notion_endpoints(oauth_base: str = API_BASE, api_base: str = API_BASE) -> Endpoints:
    """Notion's OAuth endpoints: they live on the API host, under /v1/oauth/."""
    base = oauth_base.rstrip("/")
    return Endpoints(
        authorize=f"{base}/v1/oauth/authorize",
        token=f"{base}/v1/oauth/token",
        revoke=f"{base}/v1/oauth/revoke",
        api_base=api_base.rstrip("/"),
    )


def basic_auth_header(client: ClientAuth) -> dict[str, str]:
    """The client's HTTP Basic `Authorization` (built by authlib) and the pinned Notion-Version."""
    if not client.client_secret:
        raise ConfigurationError(
            "Notion's token endpoint needs the public integration's OAuth client secret; give it "
            "with --client-secret, or paste an internal integration token instead"
        )
    from authlib.oauth2.auth import ClientAuth as AuthlibClientAuth

    auth = AuthlibClientAuth(client.client_id, client.client_secret, "client_secret_basic")
    _, headers, _ = auth.prepare("POST", "", {}, "")
    return {"Authorization": str(headers["Authorization"]), "Notion-Version": NOTION_VERSION}


def notion_account(http: httpx.Client, endpoints: Endpoints, access_token: str) -> str:
    """Who the token acts for: the owner's email (or name), or the workspace for an internal one."""
    import httpx

    try:
        resp = http.get(
            f"{endpoints.api_base}/v1/users/me",
            headers={"Authorization": f"Bearer {access_token}", "Notion-Version": NOTION_VERSION},
        )
    except httpx.HTTPError as exc:
        raise UpstreamError(
            f"could not reach Notion to learn the account ({type(exc).__name__}); retry"
        ) from None
    if resp.status_code == 401:
        raise AuthRequired(
            "Notion rejected the token when asked whose it is; check the token and connect again"
        )
    body = resp.json() if resp.status_code == 200 else {}
    bot = body.get("bot") if isinstance(body, dict) else None
    if not isinstance(bot, dict):
        raise UpstreamError(f"Notion answered {resp.status_code} to GET /v1/users/me; retry later")
    owner = bot.get("owner") or {}
    user = owner.get("user") if isinstance(owner, dict) else None
    if isinstance(user, dict):
        email = (user.get("person") or {}).get("email")
        return str(email or user.get("name") or user.get("id"))
    return f"workspace:{bot.get('workspace_name') or body.get('id')}"


def revoke_notion_token(http: httpx.Client, endpoints: Endpoints, client: ClientAuth, token: str) -> None:
    """POST /v1/oauth/revoke with the client's Basic credentials; the token and its pair end."""
    import httpx

    # Hand-written: a JSON body, where authlib's revoke_token posts a form; the credentials are authlib's.
    if client.client_id == INTERNAL_CLIENT:
        raise ConfigurationError(
            "an internal integration token cannot be revoked through the API; remove the integration "
            "or refresh its secret in Notion's integration settings"
        )
    if not endpoints.revoke:
        raise ConfigurationError("Notion's revocation endpoint is not configured")
    try:
        resp = http.post(endpoints.revoke, json={"token": token}, headers=basic_auth_header(client))
    except httpx.HTTPError as exc:
        raise UpstreamError(f"could not reach Notion to revoke the token ({type(exc).__name__})") from None
    if resp.status_code == 200:
        return
    if resp.status_code == 401:
        raise ConfigurationError(
            "Notion refused the integration's client credentials while revoking the token"
        )
    raise UpstreamError(f"Notion answered {resp.status_code} to the revocation; the token may still be valid")


def introspect_notion_token(http: httpx.Client, endpoints: Endpoints, client: ClientAuth, token: str) -> bool:
    """Whether Notion still holds `token` active (POST /v1/oauth/introspect with Basic credentials)."""
    import httpx

    # Hand-written as revocation is: a JSON body, where authlib's introspect_token posts a form.
    url = endpoints.token.rsplit("/", 1)[0] + "/introspect"
    try:
        resp = http.post(url, json={"token": token}, headers=basic_auth_header(client))
    except httpx.HTTPError as exc:
        raise UpstreamError(f"could not reach Notion to check the token ({type(exc).__name__})") from None
    if resp.status_code == 401:
        raise ConfigurationError("Notion refused the integration's client credentials while checking a token")
    if resp.status_code != 200:
        raise UpstreamError(f"Notion answered {resp.status_code} to the token check; retry later")
    return bool(resp.json().get("active"))


NOTION = Provider(
    name="notion",
    display_name="Notion",
    # Reading user information with emails includes reading it without them.
    implies={USER_EMAIL: frozenset({USER_INFO})},
    supports_pkce=False,
    scopes_in_authorize=False,
    pasted_token=(INTERNAL_CLIENT, "--internal"),
    # Every refresh rotates the pair and the old refresh token dies at once.
    refresh_reuse_window=0.0,
    default_oauth_base=API_BASE,
    default_api_base=API_BASE,
    endpoint_layout=notion_endpoints,
    account_lookup=notion_account,
    revoker=revoke_notion_token,
    authorize_params={"owner": "user"},
    token_auth="client_secret_basic",
    # Notion's token endpoint is documented with a JSON body and a Notion-Version header.
    token_body="json",
    token_headers={"Notion-Version": NOTION_VERSION},
)

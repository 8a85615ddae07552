"""Microsoft identity platform v2 for Microsoft Graph: endpoints, the scope catalog, msal plumbing.

Tokens come from msal's public client (no secret on a person's machine). msal's own token cache
(`SerializableTokenCache`) is what a connection keeps: the vault stores it, encrypted, in the place
of a refresh token, and a refresh deserialises it, asks msal for a fresh token and stores the
cache msal hands back. Nothing is ever written to a plain file.

Scopes are Graph's delegated permissions by their short names. Two relations, as for Google:
- `IMPLIES` (coverage): where every Graph endpoint accepting the narrower permission also accepts
  the broader one (Microsoft's permission reference lists Sites.Read.All beside Files.Read.All
  on every driveItem endpoint, for example).
- `PRIVILEGE` (least privileged first): Files.Read reaches only the person's own OneDrive;
  Files.Read.All every library the person can open; Sites.Read.All lists and sites as well.
Sites.Selected is apart: it reaches only sites an administrator granted the app, and is never
combined with a `.All` permission, which would silently widen it.

msal refuses any http authority. For a sandbox on loopback (`http://127.0.0.1:PORT/<tenant>`) the
authority is written with https and msal's session sends those requests as http, to that host only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from charter.auth.consent.urls import is_loopback_http
from charter.auth.providers.base import ClientAuth, Endpoints, Provider

if TYPE_CHECKING:
    import httpx
    import msal
    import requests

FILES_READ = "Files.Read"
FILES_READWRITE = "Files.ReadWrite"
FILES_READ_ALL = "Files.Read.All"
FILES_READWRITE_ALL = "Files.ReadWrite.All"
SITES_READ_ALL = "Sites.Read.All"
SITES_READWRITE_ALL = "Sites.ReadWrite.All"
SITES_MANAGE_ALL = "Sites.Manage.All"
SITES_FULLCONTROL_ALL = "Sites.FullControl.All"
SITES_SELECTED = "Sites.Selected"
# Scopes msal adds to every request itself; they are not Graph permissions.
RESERVED = frozenset({"openid", "profile", "offline_access", "email"})

PRIVILEGE: tuple[tuple[str, ...], ...] = (
    (FILES_READ,),
    (FILES_READWRITE, FILES_READ_ALL),
    (FILES_READWRITE_ALL, SITES_READ_ALL),
    (SITES_READWRITE_ALL,),
    (SITES_MANAGE_ALL,),
    (SITES_FULLCONTROL_ALL,),
)
RANK: Mapping[str, int] = {scope: rank for rank, line in enumerate(PRIVILEGE) for scope in line}

IMPLIES: dict[str, frozenset[str]] = {
    FILES_READWRITE: frozenset({FILES_READ}),
    FILES_READ_ALL: frozenset({FILES_READ}),
    FILES_READWRITE_ALL: frozenset({FILES_READ_ALL, FILES_READWRITE}),
    SITES_READ_ALL: frozenset({FILES_READ_ALL}),
    SITES_READWRITE_ALL: frozenset({SITES_READ_ALL, FILES_READWRITE_ALL}),
    SITES_MANAGE_ALL: frozenset({SITES_READWRITE_ALL}),
    SITES_FULLCONTROL_ALL: frozenset({SITES_MANAGE_ALL}),
}

LOGIN_BASE = "https://login.microsoftonline.com"
DEFAULT_TENANT = "organizations"
GRAPH_API = "https://graph.microsoft.com/v1.0"
TENANT_ALIASES = ("common", "organizations", "consumers")


def authority_of(oauth_base: str) -> str:
    """The authority URL (`https://host/<tenant>`); a bare host gets the `organizations` tenant."""
    parts = urlsplit(oauth_base.rstrip("/"))
    path = parts.path.strip("/") or DEFAULT_TENANT
    return f"{parts.scheme}://{parts.netloc}/{path}"


def microsoft_endpoints(oauth_base: str = LOGIN_BASE, api_base: str = GRAPH_API) -> Endpoints:
    """The v2 endpoints under an authority (`https://login.microsoftonline.com/<tenant>`)."""
    authority = authority_of(oauth_base or LOGIN_BASE)
    return Endpoints(
        authorize=f"{authority}/oauth2/v2.0/authorize",
        token=f"{authority}/oauth2/v2.0/token",
        device_code=f"{authority}/oauth2/v2.0/devicecode",
        api_base=(api_base or GRAPH_API).rstrip("/"),
    )


def msal_session(authority: str) -> requests.Session:
    """The HTTP session msal uses: proxies and CA bundles from the environment are ignored.

    For a loopback http authority it sends `https://<that host>` requests as http (msal itself
    only accepts https); any other URL is sent unchanged.
    """
    import requests

    origin = urlsplit(authority)
    secure_origin = f"https://{origin.netloc}" if is_loopback_http(authority) else None

    class Session(requests.Session):
        def request(
            self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
        ) -> requests.Response:
            text = url.decode() if isinstance(url, bytes) else url
            if secure_origin and text.startswith(secure_origin + "/"):
                text = "http://" + text.removeprefix("https://")
            verb = method.decode() if isinstance(method, bytes) else method
            return super().request(verb, text, *args, **kwargs)

    session = Session()
    session.trust_env = False
    return session


def msal_app(
    oauth_base: str, client_id: str, cache: msal.SerializableTokenCache | None = None
) -> msal.PublicClientApplication:
    """msal's public client for an authority (a sandbox's loopback one included)."""
    import msal

    authority = authority_of(oauth_base)
    secure = "https://" + authority.removeprefix("http://") if is_loopback_http(authority) else authority
    known = urlsplit(secure).hostname == urlsplit(LOGIN_BASE).hostname
    return msal.PublicClientApplication(
        client_id,
        authority=secure,
        token_cache=cache,
        http_client=msal_session(authority),
        # Instance discovery asks Microsoft's cloud about the authority: only for the real one.
        instance_discovery=known,
        validate_authority=known,
    )


def graph_scopes(scopes: Iterable[str]) -> list[str]:
    """The Graph permissions of `scopes`, without the ones msal adds by itself."""
    return sorted({s for s in scopes if s not in RESERVED})


def tokens_from(
    result: Mapping[str, Any], cache: msal.SerializableTokenCache, requested: Iterable[str]
) -> Any:
    """A `TokenSet` from an msal result; the serialised cache stands in for the refresh token."""
    from charter.auth.consent.tokens import TokenSet

    raw = str(result.get("scope") or "")
    granted = frozenset(raw.split()) - RESERVED if raw else frozenset(requested)
    expires = result.get("expires_in")
    return TokenSet(
        access_token=str(result["access_token"]),
        token_type="bearer",
        refresh_token=cache.serialize(),
        expires_at=time.time() + float(expires) if expires else None,
        scopes=granted,
    )


def refresh_with_msal(
    http: httpx.Client, endpoints: Endpoints, client: ClientAuth, cache_blob: str, previous: Iterable[str]
) -> Any:
    """A fresh access token from msal's cache; `RefreshRejected` when Entra refused the refresh."""
    import msal

    from charter.auth.consent.errors import RefreshRejected

    cache = msal.SerializableTokenCache()
    try:
        cache.deserialize(cache_blob)
    except (ValueError, json.JSONDecodeError):
        raise RefreshRejected("connect Microsoft again: the stored token cache could not be read") from None
    app = msal_app(endpoints.authorize.rsplit("/oauth2/", 1)[0], client.client_id, cache)
    accounts = app.get_accounts()
    scopes = graph_scopes(previous)
    if not accounts or not scopes:
        raise RefreshRejected("connect Microsoft again: the connection holds no signed-in account")
    result = app.acquire_token_silent_with_error(scopes, account=accounts[0], force_refresh=True)
    if not result or "access_token" not in result:
        error = str((result or {}).get("error") or "no_token")
        raise RefreshRejected(
            f"connect Microsoft again: Microsoft refused the refresh ({error}); it was revoked or expired",
            oauth_error=error,
        )
    return tokens_from(result, cache, scopes)


def account_from_claims(result: Mapping[str, Any]) -> str:
    """The account name in an msal result's id_token (`preferred_username`)."""
    claims = result.get("id_token_claims") or {}
    return str(claims.get("preferred_username") or claims.get("upn") or claims.get("oid") or "")


MICROSOFT = Provider(
    name="microsoft",
    display_name="Microsoft",
    scope_separator=" ",
    implies=IMPLIES,
    supports_pkce=True,
    supports_device_flow=True,
    default_oauth_base=f"{LOGIN_BASE}/{DEFAULT_TENANT}",
    default_api_base=GRAPH_API,
    endpoint_layout=microsoft_endpoints,
    refresher=refresh_with_msal,
    # Refresh tokens rotate, but the identity platform does not revoke the old one when it is used:
    # it stays good for its lifetime (90 days), so a refresh whose answer was lost can be resent.
    refresh_reuse_window=90 * 24 * 3600.0,
)


def browser_url(authority: str, url: str) -> str:
    """The consent URL as a browser must open it: a loopback sandbox's https form sent as http."""
    if is_loopback_http(authority):
        origin = urlsplit(authority).netloc
        secure = f"https://{origin}/"
        if url.startswith(secure):
            return "http://" + url.removeprefix("https://")
    return url

"""Connect an account: run a consent flow, learn whose account it is, and save it in the vault."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

import httpx

from charter.auth.consent import (
    OAuthClient,
    TokenSet,
    checked_base_url,
    run_device_flow,
    run_loopback_flow,
)
from charter.auth.providers import ClientAuth, Provider, get_provider
from charter.auth.vault import Connection, Vault
from charter.schemas import ConfigurationError


def connect(
    vault: Vault,
    provider: str | Provider,
    *,
    scopes: Iterable[str],
    client_id: str,
    client_secret: str | None = None,
    oauth_base: str | None = None,
    api_base: str | None = None,
    service: str | None = None,
    device: bool = False,
    open_browser: Callable[[str], object] | None = None,
    show: Callable[[str, str], object] | None = None,
    timeout: float = 300.0,
    sleep: Callable[[float], object] = time.sleep,
    http: httpx.Client | None = None,
    authorize_params: Mapping[str, str] | None = None,
) -> Connection:
    """Ask the person for consent (browser, or device code when `device`) and save the connection.

    `service` is the connector name (the provider's name by default); the vault records the scopes
    the provider granted, which may be fewer than `scopes`. `authorize_params` add to the
    authorize URL (browser flow only).
    """
    p = get_provider(provider) if isinstance(provider, str) else provider
    if device and not p.supports_device_flow:
        raise ConfigurationError(f"{p.display_name} has no device flow; connect without --device")
    # A base without a scheme would only fail after the person had been sent to consent.
    oauth_base = checked_base_url(oauth_base, what=f"{p.display_name}'s OAuth server") if oauth_base else None
    api_base = checked_base_url(api_base, what=f"{p.display_name}'s API") if api_base else None
    endpoints = p.endpoints(oauth_base, api_base)
    client = OAuthClient(
        provider=p,
        endpoints=endpoints,
        client=ClientAuth(client_id, client_secret),
        http=http or httpx.Client(timeout=15.0),
    )
    tokens: TokenSet
    if device:
        tokens = run_device_flow(client, scopes=scopes, show=show, sleep=sleep)
    else:
        tokens = run_loopback_flow(
            client, scopes=scopes, open_browser=open_browser, timeout=timeout, extra=authorize_params
        )
    return vault.add_connection(
        service=service or p.name,
        provider=p.name,
        account=client.account(tokens.access_token),
        tokens=tokens,
        api_base=endpoints.api_base or p.default_api_base,
        oauth_base=(oauth_base or p.default_oauth_base).rstrip("/"),
        client_id=client_id,
        client_secret=client_secret,
    )


def connect_github(
    vault: Vault,
    *,
    scopes: Iterable[str],
    client_id: str,
    client_secret: str | None = None,
    device: bool = False,
    oauth_base: str = "https://github.com",
    api_base: str = "https://api.github.com",
    open_browser: Callable[[str], object] | None = None,
    show: Callable[[str, str], object] | None = None,
    timeout: float = 300.0,
    sleep: Callable[[float], object] = time.sleep,
) -> Connection:
    """Connect a GitHub account (github.com, or a sandbox given by `oauth_base` and `api_base`)."""
    return connect(
        vault,
        "github",
        scopes=scopes,
        client_id=client_id,
        client_secret=client_secret,
        oauth_base=oauth_base,
        api_base=api_base,
        device=device,
        open_browser=open_browser,
        show=show,
        timeout=timeout,
        sleep=sleep,
    )

"""Connect Notion: a public integration through OAuth, or an internal integration's pasted token.

Either way the connection records the capabilities the integration has (Notion's stand-in for
scopes, which its token answers do not report), and the token is sealed in the vault like any other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import httpx

from charter.auth.connect import connect
from charter.auth.consent import TokenSet
from charter.auth.providers.notion import API_BASE, CAPABILITIES, INTERNAL_CLIENT, NOTION, notion_account
from charter.auth.vault import Connection, Vault
from charter.schemas import ValidationError

SERVICE = "notion"


def notion_capabilities(declared: Iterable[str]) -> list[str]:
    """The declared capabilities, checked against Notion's list."""
    caps = sorted(set(declared))
    unknown = [c for c in caps if c not in CAPABILITIES]
    if unknown or not caps:
        raise ValidationError(
            f"unknown Notion capabilities {unknown or 'none given'}; choose from {', '.join(CAPABILITIES)}"
        )
    return caps


def connect_notion(
    vault: Vault,
    *,
    capabilities: Iterable[str],
    client_id: str,
    client_secret: str | None,
    oauth_base: str | None = None,
    api_base: str | None = None,
    open_browser: Callable[[str], object] | None = None,
    timeout: float = 300.0,
    http: httpx.Client | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> Connection:
    """Run Notion's OAuth consent (the person picks the pages to share) and save the connection."""
    return connect(
        vault,
        NOTION,
        scopes=notion_capabilities(capabilities),
        client_id=client_id,
        client_secret=client_secret,
        oauth_base=oauth_base,
        api_base=api_base,
        service=SERVICE,
        open_browser=open_browser,
        timeout=timeout,
        sleep=sleep,
        http=http,
    )


def connect_notion_token(
    vault: Vault,
    token: str,
    *,
    capabilities: Iterable[str],
    api_base: str | None = None,
    http: httpx.Client | None = None,
) -> Connection:
    """Save an internal integration's token after Notion confirmed it; it never expires or refreshes."""
    secret = token.strip()
    if not secret or any(c.isspace() for c in secret) or len(secret) > 200:
        raise ValidationError(
            "that is not a Notion integration token; copy the Internal Integration Secret from the "
            "integration's settings (it starts with ntn_ or secret_)"
        )
    caps = notion_capabilities(capabilities)
    base = (api_base or API_BASE).rstrip("/")
    endpoints = NOTION.endpoints(base, base)
    client = http or httpx.Client(timeout=15.0)
    account = notion_account(client, endpoints, secret)
    return vault.add_connection(
        service=SERVICE,
        provider=NOTION.name,
        account=account,
        tokens=TokenSet(access_token=secret, scopes=frozenset(caps)),
        api_base=base,
        oauth_base=base,
        client_id=INTERNAL_CLIENT,
    )

"""The vault's storage: the connections table and the `Connection` record read from it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Row

from charter.auth.providers.base import Provider
from charter.auth.providers.microsoft import SITES_SELECTED

ConnectionStatus = Literal["active", "needs_reconnect", "revoked"]
SECRET_FIELDS = ("access_token", "refresh_token", "client_secret")

metadata = MetaData()
connections_table = Table(
    "vault_connections",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("service", String(64), nullable=False, index=True),
    Column("provider", String(64), nullable=False),
    Column("account", String(255), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("api_base", String(500), nullable=False),
    Column("oauth_base", String(500), nullable=False),
    Column("client_id", String(255), nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("token_type", String(40), nullable=False),
    Column("access_token", Text),
    Column("refresh_token", Text),
    Column("client_secret", Text),
    Column("expires_at", Float),
    Column("refresh_expires_at", Float),
    Column("version", Integer, nullable=False),
    Column("refresh_lease_until", Float),
)


@dataclass(frozen=True)
class Connection:
    """One connected account of one service; `scopes` are those the provider granted."""

    id: str
    service: str
    provider: str
    account: str
    scopes: frozenset[str]
    api_base: str
    oauth_base: str
    client_id: str
    status: ConnectionStatus
    created_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Revocation:
    """What `Vault.revoke` did: local tokens are always wiped; `remote_revoked` says if the provider's are."""

    connection: Connection
    remote_revoked: bool
    detail: str


def reconnect_command(
    service: str,
    oauth_base: str,
    default_oauth_base: str,
    *,
    pasted_flag: str | None = None,
    scopes: Iterable[str] = (),
) -> str:
    """The command that connects the account again, with the options it was first connected with.

    A sandbox is named by its origin (`--sandbox http://127.0.0.1:8767`, never the authority's path);
    Microsoft's authority also names the tenant; a pasted token (`pasted_flag`, Notion's `--internal`)
    and Sites.Selected are kept.
    """
    words = ["charter", "connect", service]
    here, default = urlsplit(oauth_base.rstrip("/")), urlsplit(default_oauth_base.rstrip("/"))
    if (here.scheme, here.netloc) != (default.scheme, default.netloc):
        words += ["--sandbox", f"{here.scheme}://{here.netloc}"]
    tenant, default_tenant = here.path.strip("/"), default.path.strip("/")
    if default_tenant and tenant and tenant != default_tenant:
        words += ["--tenant", tenant]
    if pasted_flag:
        words.append(pasted_flag)
    if set(scopes) == {SITES_SELECTED}:
        words.append("--sites-selected")
    return " ".join(words)


def reconnect_for(connection: Connection, provider: Provider) -> str:
    """`reconnect_command` for a saved connection of `provider`."""
    pasted = provider.pasted_token
    return reconnect_command(
        connection.service,
        connection.oauth_base,
        provider.default_oauth_base,
        pasted_flag=pasted[1] if pasted and connection.client_id == pasted[0] else None,
        scopes=connection.scopes,
    )


def connection_from_row(row: Row[tuple[object, ...]]) -> Connection:
    m = row._mapping
    expires = m["expires_at"]
    return Connection(
        id=m["id"],
        service=m["service"],
        provider=m["provider"],
        account=m["account"],
        scopes=frozenset(json.loads(m["scopes"])),
        api_base=m["api_base"],
        oauth_base=m["oauth_base"],
        client_id=m["client_id"],
        status=m["status"],
        created_at=datetime.fromtimestamp(m["created_at"], UTC),
        expires_at=datetime.fromtimestamp(expires, UTC) if expires is not None else None,
    )


def slug(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    return "-".join(filter(None, cleaned.split("-")))[:40] or "account"

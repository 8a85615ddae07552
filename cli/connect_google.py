"""`charter connect gmail|calendar`: Google consent for the actions the person enables, and no more."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from charter.auth.connect_google import connect_google, google_scopes
from charter.auth.providers import GOOGLE
from charter.auth.vault import Connection
from charter.cli.context import Local, local
from charter.cli.options import split_csv
from charter.cli.output import UsageProblem, console, plain
from charter.cli.sandbox import default_port
from charter.connectors.registry import get_connector
from charter.schemas import ConfigurationError

CLIENT_ID_ENV = "CHARTER_GOOGLE_CLIENT_ID"
CLIENT_SECRET_ENV = "CHARTER_GOOGLE_CLIENT_SECRET"

Enable = Annotated[
    str | None,
    typer.Option(
        "--enable",
        metavar="ACTION,...",
        help="Actions to allow (Google is asked only for their scopes); default: every action. "
        "Run again with more to widen the connection.",
    ),
]
SandboxUrl = Annotated[
    str | None,
    typer.Option("--sandbox", metavar="URL", help="Connect to a local Google sandbox instead of Google."),
]


def scopes_for(service: str, enable: list[str]) -> list[str]:
    """The scopes the named actions of `service` need (every action's when none are named)."""
    actions = get_connector(service).actions
    unknown = [name for name in enable if name not in actions]
    if unknown:
        raise UsageProblem(
            f"{service} has no action {', '.join(unknown)}; its actions are {', '.join(sorted(actions))}"
        )
    chosen = [actions[name] for name in enable] if enable else list(actions.values())
    return sorted({scope for spec in chosen for scope in spec.scopes})


def usable_actions(service: str, granted: frozenset[str]) -> list[str]:
    """The actions of `service` a connection holding `granted` can run."""
    actions = get_connector(service).actions
    return sorted(name for name, spec in actions.items() if not GOOGLE.missing_scopes(granted, spec.scopes))


def google_client(sandbox: str | None, service: str = "gmail") -> tuple[str, str | None]:
    """The OAuth client: the sandbox's, or the one named in the environment."""
    if sandbox:
        from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        return DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    client_id = os.environ.get(CLIENT_ID_ENV, "").strip()
    if not client_id:
        raise ConfigurationError(
            f"{CLIENT_ID_ENV} is not set: create an OAuth client of type Desktop app in the Google Cloud "
            f"console (APIs & Services > Credentials), export {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV}, "
            f"then run this again; or try it locally: `charter sandbox up --service google` in another "
            f"terminal, then `charter connect {service} --sandbox http://127.0.0.1:{default_port('google')}`"
        )
    return client_id, os.environ.get(CLIENT_SECRET_ENV, "").strip() or None


def connect_google_service(
    here: Local, service: str, *, enable: list[str], sandbox: str | None = None, timeout: float = 300.0
) -> tuple[Connection, list[str]]:
    """Run Google's consent for the enabled actions of `service`; returns the connection and the ask."""
    from charter.cli.connections import _open_browser, record_connected, sandbox_base

    needed = scopes_for(service, enable)
    base = sandbox_base(sandbox, "google")
    client_id, secret = google_client(base, service)
    connection = connect_google(
        here.vault,
        service,
        scopes=needed,
        client_id=client_id,
        client_secret=secret,
        oauth_base=base,
        api_base=base,
        open_browser=_open_browser,
        timeout=timeout,
    )
    record_connected(here, connection)
    return connection, google_scopes(needed)


def _connect(ctx: typer.Context, service: str, enable: str | None, sandbox: str | None) -> None:
    from charter.cli.connections import print_connected

    connection, asked = connect_google_service(
        local(ctx), service, enable=split_csv([enable]) if enable else [], sandbox=sandbox
    )
    print_connected(connection, asked)
    usable = usable_actions(service, connection.scopes)
    console.print(f"  actions it can run: {plain(', '.join(usable)) or 'none'}")


def connect_gmail_command(ctx: typer.Context, enable: Enable = None, sandbox: SandboxUrl = None) -> None:
    """Connect a Gmail account, asking Google only for the scopes of the enabled actions."""
    _connect(ctx, "gmail", enable, sandbox)


def connect_calendar_command(ctx: typer.Context, enable: Enable = None, sandbox: SandboxUrl = None) -> None:
    """Connect a Google Calendar account, asking Google only for the scopes of the enabled actions."""
    _connect(ctx, "calendar", enable, sandbox)


__all__ = [
    "CLIENT_ID_ENV",
    "CLIENT_SECRET_ENV",
    "connect_calendar_command",
    "connect_gmail_command",
    "connect_google_service",
    "google_client",
    "scopes_for",
    "usable_actions",
]

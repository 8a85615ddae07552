"""`charter connect github` and `charter connections [list|revoke]`: the person's connected accounts."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Annotated

import typer

from charter.auth.connect import connect
from charter.auth.vault import Connection
from charter.cli.connect_google import connect_calendar_command, connect_gmail_command
from charter.cli.connect_notion import connect_notion_command
from charter.cli.context import Local, local
from charter.cli.options import split_csv
from charter.cli.output import console, make_table, plain
from charter.connectors.registry import get_connector
from charter.schemas import ConfigurationError

CLIENT_ID_ENV = "CHARTER_GITHUB_CLIENT_ID"
CLIENT_SECRET_ENV = "CHARTER_GITHUB_CLIENT_SECRET"

connect_app = typer.Typer(
    help="Connect an account through the provider's consent screen.", no_args_is_help=True
)
connections_app = typer.Typer(help="List or revoke connected accounts.", invoke_without_command=True)


def default_scopes(service: str) -> list[str]:
    """Every provider scope the service's connector declares: what its actions need, nothing more."""
    declared = {scope for spec in get_connector(service).actions.values() for scope in spec.scopes}
    return sorted(declared)


def github_client(sandbox: str | None, device: bool) -> tuple[str, str | None]:
    """The OAuth app to connect with: the sandbox's registered app, or the one named in the environment."""
    if sandbox:
        from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        return DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    client_id = os.environ.get(CLIENT_ID_ENV, "").strip()
    secret = os.environ.get(CLIENT_SECRET_ENV, "").strip() or None
    if not client_id or (secret is None and not device):
        missing = CLIENT_ID_ENV if not client_id else CLIENT_SECRET_ENV
        raise ConfigurationError(
            f"{missing} is not set: register an OAuth app on GitHub (Settings > Developer settings > "
            f"OAuth Apps), export {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV}, then run this again; "
            "or try it locally with --sandbox http://127.0.0.1:8765 (see `charter sandbox up`)"
        )
    return client_id, secret


def connect_github_account(
    here: Local,
    *,
    scopes: list[str],
    sandbox: str | None = None,
    device: bool = False,
    open_browser: Callable[[str], object] | None = None,
    show: Callable[[str, str], object] | None = None,
    timeout: float = 300.0,
) -> Connection:
    """Run GitHub's consent flow (loopback + PKCE, or device code) and save the connection."""
    client_id, secret = github_client(sandbox, device)
    base = sandbox.rstrip("/") if sandbox else None
    connection = connect(
        here.vault,
        "github",
        scopes=scopes,
        client_id=client_id,
        client_secret=secret,
        oauth_base=base or "https://github.com",
        api_base=base or "https://api.github.com",
        device=device,
        open_browser=open_browser,
        show=show,
        timeout=timeout,
    )
    record_connected(here, connection)
    return connection


def record_connected(here: Local, connection: Connection) -> None:
    """Audit that the person connected an account, with the scopes the provider granted."""
    here.audit.record(
        actor="person",
        subject=connection.account,
        action="connection.connect",
        outcome="ok",
        reasons=(f"scopes granted: {','.join(sorted(connection.scopes)) or 'none'}",),
        result_ref=connection.id,
    )


def _open_browser(url: str) -> None:
    import webbrowser

    console.print("Opening your browser for consent. If it does not open, visit:")
    console.print(f"  {plain(url)}", soft_wrap=True)
    webbrowser.open(url)


def _show_user_code(user_code: str, verification_uri: str) -> None:
    console.print(f"Open [bold]{plain(verification_uri)}[/] and enter the code [bold cyan]{user_code}[/]")
    console.print("Waiting for approval…")


@connect_app.command("github")
def connect_github_command(
    ctx: typer.Context,
    device: Annotated[
        bool, typer.Option("--device", help="Use the device flow (for a headless machine).")
    ] = False,
    scopes: Annotated[
        str | None,
        typer.Option("--scopes", help="Comma-separated scopes; default: what the connector needs."),
    ] = None,
    sandbox: Annotated[
        str | None,
        typer.Option(
            "--sandbox", metavar="URL", help="Connect to a local GitHub sandbox instead of github.com."
        ),
    ] = None,
) -> None:
    """Connect a GitHub account (github.com, or a sandbox started with `charter sandbox up`)."""
    wanted = split_csv([scopes]) if scopes else default_scopes("github")
    connection = connect_github_account(
        local(ctx),
        scopes=wanted,
        sandbox=sandbox,
        device=device,
        open_browser=_open_browser,
        show=_show_user_code,
    )
    print_connected(connection, wanted)


def print_connected(connection: Connection, requested: list[str]) -> None:
    """What a new connection holds, noting scopes the person did not grant."""
    granted = ", ".join(sorted(connection.scopes)) or "none"
    console.print(f"[green]✓[/] connected [bold]{plain(connection.account)}[/] as {connection.id}")
    console.print(f"  scopes granted: {granted}")
    refused = sorted(set(requested) - set(connection.scopes))
    if refused:
        console.print(f"  [yellow]not granted:[/] {', '.join(refused)} (actions needing them will fail)")


@connections_app.callback()
def connections_default(ctx: typer.Context) -> None:
    """List connected accounts (the default) or revoke one."""
    if ctx.invoked_subcommand is None:
        list_connections(ctx)


@connections_app.command("list")
def list_connections(ctx: typer.Context) -> None:
    """List connected accounts with their granted scopes and status; tokens are never shown."""
    found = local(ctx).vault.connections()
    if not found:
        console.print("No connections yet. Connect one with `charter connect github`.")
        return
    table = make_table("id", "service", "account", "scopes", "status", "api")
    table.columns[-1].overflow = "fold"
    for c in found:
        status = c.status if c.status != "active" else "[green]active[/]"
        table.add_row(
            c.id, c.service, plain(c.account), ", ".join(sorted(c.scopes)), status, plain(c.api_base),
        )  # fmt: skip
    console.print(table)


@connections_app.command("revoke")
def revoke_connection(
    ctx: typer.Context,
    connection_id: Annotated[
        str, typer.Argument(metavar="ID", help="The connection id (see `connections list`).")
    ],
) -> None:
    """Revoke a connection at the provider and wipe its tokens here."""
    here = local(ctx)
    revocation = here.vault.revoke(connection_id)
    here.audit.record(
        actor="person",
        subject=revocation.connection.account,
        action="connection.revoke",
        outcome="ok",
        reasons=(revocation.detail,),
        result_ref=connection_id,
    )
    mark = "[green]✓[/]" if revocation.remote_revoked else "[yellow]![/]"
    console.print(f"{mark} revoked {connection_id}: {plain(revocation.detail)}; local tokens wiped")


# Google services: consent asks only for the scopes of the actions enabled (incremental authorization).
connect_app.command("gmail")(connect_gmail_command)
connect_app.command("calendar")(connect_calendar_command)
connect_app.command("notion")(connect_notion_command)


__all__ = [
    "CLIENT_ID_ENV",
    "CLIENT_SECRET_ENV",
    "connect_app",
    "connect_github_account",
    "connections_app",
    "default_scopes",
    "github_client",
    "print_connected",
    "record_connected",
]

"""`charter connect github` and `charter connections [list|revoke]`: the person's connected accounts."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.padding import Padding
from rich.table import Table

from charter.auth.connect import connect
from charter.auth.providers import get_provider
from charter.auth.vault import Connection
from charter.auth.vault_table import reconnect_for
from charter.cli.connect_google import connect_calendar_command, connect_gmail_command
from charter.cli.connect_microsoft import connect_sharepoint_command
from charter.cli.connect_notion import connect_notion_command
from charter.cli.context import Local, local
from charter.cli.options import format_duration, split_csv
from charter.cli.output import JsonOption, console, plain, print_json, short_scopes
from charter.cli.sandbox import default_port
from charter.connectors.registry import get_connector
from charter.schemas import ConfigurationError

CLIENT_ID_ENV = "CHARTER_GITHUB_CLIENT_ID"
CLIENT_SECRET_ENV = "CHARTER_GITHUB_CLIENT_SECRET"
# How long the CLI waits for the browser's answer before giving up.
CONSENT_TIMEOUT = 300.0

connect_app = typer.Typer(
    help="Connect an account through the provider's consent screen.", no_args_is_help=True
)
connections_app = typer.Typer(help="List or revoke connected accounts.", invoke_without_command=True)


@connect_app.callback()
def connect_starts_a_home(ctx: typer.Context) -> None:
    """Connecting an account is what starts a home, whichever service's subcommand runs."""
    here = local(ctx, create=True)
    if not here.path.exists():
        # Said before consent, so a mistyped --home is seen while it can still be cancelled.
        starting = f"No Charter home at {here.path} yet: this connection starts one there."
        console.print(starting, soft_wrap=True, highlight=False)


def default_scopes(service: str) -> list[str]:
    """Every provider scope the service's connector declares: what its actions need, nothing more."""
    declared = {scope for spec in get_connector(service).actions.values() for scope in spec.scopes}
    return sorted(declared)


def sandbox_base(url: str | None, service: str) -> str | None:
    """The `--sandbox URL` checked before any consent starts: absolute http(s), and answering."""
    if url is None:
        return None
    from charter.auth.consent import checked_base_url, require_listening

    what = f"the {service} sandbox"
    base = checked_base_url(url, what=what)
    start = f"charter sandbox up --service {service} --port {urlsplit(base).port or default_port(service)}"
    require_listening(base, what=what, hint=f"start the sandbox first, in another terminal: {start}")
    return base


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
            "or try it locally: `charter sandbox up` in another terminal, then "
            f"`charter connect github --sandbox http://127.0.0.1:{default_port('github')}`"
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
    timeout: float = CONSENT_TIMEOUT,
) -> Connection:
    """Run GitHub's consent flow (loopback + PKCE, or device code) and save the connection."""
    base = sandbox_base(sandbox, "github")
    client_id, secret = github_client(base, device)
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


def _open_browser(url: str, timeout: float = CONSENT_TIMEOUT, *, device: bool = False) -> None:
    """Send the person to the consent page; without a browser, say what else finishes it.

    `device`: the service also offers `--device`, a code typed into any browser, on any machine.
    """
    import webbrowser

    from charter.auth.consent.urls import is_loopback_http

    console.print("Opening your browser for consent. If it does not open, visit:")
    console.print(f"  {plain(url)}", soft_wrap=True)
    if not webbrowser.open(url):
        console.print(
            "No browser could be opened here: open the URL above in a browser on this machine "
            "(the answer comes back to 127.0.0.1)."
        )
        if is_loopback_http(url):
            # A sandbox consents as soon as its page is fetched, as the person it simulates.
            fetch = f"curl -sL '{plain(url)}' >/dev/null"
            console.print(f"  A sandbox consents when its page is fetched: {fetch}", soft_wrap=True)
        if device:
            console.print("  Or press Ctrl-C and connect with --device: a code to type into any browser.")
    console.print(
        f"Waiting up to {format_duration(timedelta(seconds=timeout))} for the answer (Ctrl-C cancels)…"
    )


def _show_user_code(user_code: str, verification_uri: str) -> None:
    console.print(f"Open [bold]{plain(verification_uri)}[/] and enter the code [bold cyan]{user_code}[/]")
    console.print("Waiting until the code is entered or expires (Ctrl-C cancels)…")


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
        open_browser=lambda url: _open_browser(url, device=True),
        show=_show_user_code,
    )
    print_connected(connection, wanted)


def print_connected(connection: Connection, requested: list[str]) -> None:
    """What a new connection holds, noting scopes the person did not grant."""
    granted = short_scopes(connection.scopes)
    console.print(f"[green]✓[/] connected [bold]{plain(connection.account)}[/] as {connection.id}")
    console.print(f"  scopes granted: {granted}")
    refused = sorted(set(requested) - set(connection.scopes))
    if refused:
        console.print(f"  [yellow]not granted:[/] {short_scopes(refused)} (actions needing them will fail)")


@connections_app.callback()
def connections_default(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List connected accounts (the default) or revoke one."""
    if ctx.invoked_subcommand is None:
        list_connections(ctx, as_json)


@connections_app.command("list")
def list_connections(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List connected accounts with their granted scopes and status; tokens are never shown."""
    found = local(ctx).vault.connections()
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("No connections yet. Connect one with `charter connect github`.")
        return
    # One block per connection: ids, accounts, scopes and URLs stay whole at any terminal width.
    for c in found:
        status = c.status if c.status != "active" else "[green]active[/]"
        console.print(f"[bold]{c.id}[/]  {c.service} · {plain(c.account)} · {status}", soft_wrap=True)
        details = Table.grid(padding=(0, 2))
        details.add_column(style="dim", no_wrap=True)
        details.add_column(overflow="fold")
        details.add_row("scopes", plain(short_scopes(c.scopes)))
        details.add_row("api", plain(c.api_base))
        console.print(Padding(details, (0, 0, 0, 2)))


@connections_app.command("revoke")
def revoke_connection(
    ctx: typer.Context,
    connection_id: Annotated[
        str, typer.Argument(metavar="ID", help="The connection id (see `connections list`).")
    ],
) -> None:
    """Revoke a connection at the provider and wipe its tokens here."""
    here = local(ctx)
    sharing = _sharing_the_grant(here, here.vault.get(connection_id))
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
    for other in sharing:
        again = reconnect_for(other, get_provider(other.provider))
        console.print(
            f"[yellow]![/] {other.service} connection {other.id} shares the same "
            f"{get_provider(other.provider).display_name} grant for {plain(other.account)}, so it lost its "
            f"access too; to use it again: {again}"
        )


def _sharing_the_grant(here: Local, connection: Connection) -> list[Connection]:
    """Other active connections that revoking `connection` at its provider ends as well."""
    if not get_provider(connection.provider).revoke_ends_account:
        return []
    return [
        c
        for c in here.vault.connections()
        if c.id != connection.id
        and c.status == "active"
        and (c.provider, c.account, c.oauth_base, c.client_id)
        == (connection.provider, connection.account, connection.oauth_base, connection.client_id)
    ]


# Google services: consent asks only for the scopes of the actions enabled (incremental authorization).
connect_app.command("gmail")(connect_gmail_command)
connect_app.command("calendar")(connect_calendar_command)
connect_app.command("sharepoint")(connect_sharepoint_command)
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

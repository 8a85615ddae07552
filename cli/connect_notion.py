"""`charter connect notion`: a public integration through OAuth, or a pasted internal integration token."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from charter.auth.connect_notion import connect_notion, connect_notion_token
from charter.auth.providers.notion import CAPABILITIES, capability_hint
from charter.cli.context import local
from charter.cli.options import split_csv
from charter.cli.output import UsageProblem, console, plain
from charter.connectors.registry import get_connector
from charter.schemas import ConfigurationError

CLIENT_ID_ENV = "CHARTER_NOTION_CLIENT_ID"
CLIENT_SECRET_ENV = "CHARTER_NOTION_CLIENT_SECRET"


def capabilities_for(enable: list[str], declared: list[str]) -> list[str]:
    """The capabilities given, or those the enabled actions need (every action's when none are named)."""
    if declared:
        unknown = sorted(set(declared) - set(CAPABILITIES))
        if unknown:
            raise UsageProblem(
                f"unknown capabilities {', '.join(unknown)}; Notion has {', '.join(CAPABILITIES)}"
            )
        return sorted(set(declared))
    actions = get_connector("notion").actions
    unknown = [name for name in enable if name not in actions]
    if unknown:
        raise UsageProblem(
            f"notion has no action {', '.join(unknown)}; its actions are {', '.join(sorted(actions))}"
        )
    chosen = [actions[name] for name in enable] if enable else list(actions.values())
    return sorted({scope for spec in chosen for scope in spec.scopes})


def notion_client(sandbox: str | None) -> tuple[str, str]:
    """The public integration's OAuth client: the sandbox's, or the one named in the environment."""
    if sandbox:
        from charter.sandboxes.notion import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        return DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    client_id = os.environ.get(CLIENT_ID_ENV, "").strip()
    secret = os.environ.get(CLIENT_SECRET_ENV, "").strip()
    if not client_id or not secret:
        raise ConfigurationError(
            f"{CLIENT_ID_ENV} and {CLIENT_SECRET_ENV} are not both set: create a public integration in "
            "Notion's integration settings (its OAuth client id and secret), export both, then run this "
            "again; or paste an internal integration's token with --internal; or try it locally with "
            "--sandbox http://127.0.0.1:8768 (start it with `charter sandbox up --service notion`)"
        )
    return client_id, secret


def _read_token(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline()
    # Hidden input: the secret never shows on screen or in the shell history.
    return str(typer.prompt("Internal integration secret", hide_input=True))


def connect_notion_command(
    ctx: typer.Context,
    internal: Annotated[
        bool, typer.Option("--internal", help="Paste an internal integration's secret instead of OAuth.")
    ] = False,
    token_stdin: Annotated[
        bool, typer.Option("--token-stdin", help="With --internal: read the secret from standard input.")
    ] = False,
    enable: Annotated[
        str | None,
        typer.Option("--enable", metavar="ACTION,...", help="Actions to allow; default: every action."),
    ] = None,
    capabilities: Annotated[
        str | None,
        typer.Option(
            "--capabilities",
            metavar="CAP,...",
            help="The integration's capabilities as set in Notion (default: what the enabled actions need).",
        ),
    ] = None,
    sandbox: Annotated[
        str | None,
        typer.Option("--sandbox", metavar="URL", help="Connect to a local Notion sandbox instead of Notion."),
    ] = None,
) -> None:
    """Connect Notion: consent in the browser (you pick the pages to share), or an internal token."""
    here = local(ctx, create=True)
    caps = capabilities_for(
        split_csv([enable]) if enable else [], split_csv([capabilities]) if capabilities else []
    )
    from charter.cli.connections import _open_browser, record_connected, sandbox_base

    base = sandbox_base(sandbox, "notion")

    if internal:
        connection = connect_notion_token(
            here.vault, _read_token(token_stdin), capabilities=caps, api_base=base
        )
    else:
        client_id, secret = notion_client(sandbox)
        connection = connect_notion(
            here.vault,
            capabilities=caps,
            client_id=client_id,
            client_secret=secret,
            oauth_base=base,
            api_base=base,
            open_browser=_open_browser,
        )
    record_connected(here, connection)
    console.print(f"[green]✓[/] connected [bold]{plain(connection.account)}[/] as {connection.id}")
    console.print(f"  capabilities recorded: {', '.join(sorted(connection.scopes))}")
    console.print(
        f"  make sure the integration has them: {plain(capability_hint(sorted(connection.scopes)))}"
    )
    console.print("  it sees only the pages shared with it (••• → Connections in Notion) and their subpages")


__all__ = [
    "CLIENT_ID_ENV",
    "CLIENT_SECRET_ENV",
    "capabilities_for",
    "connect_notion_command",
    "notion_client",
]

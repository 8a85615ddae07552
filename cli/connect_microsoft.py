"""`charter connect sharepoint`: Microsoft consent through msal for the actions the person enables."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from charter.auth.connect_microsoft import authority_for, connect_microsoft
from charter.auth.providers.microsoft import LOGIN_BASE, MICROSOFT, SITES_SELECTED, browser_url
from charter.cli.connect_google import scopes_for
from charter.cli.context import local
from charter.cli.options import split_csv
from charter.cli.output import console, plain
from charter.connectors.registry import get_connector
from charter.schemas import ConfigurationError

CLIENT_ID_ENV = "CHARTER_MICROSOFT_CLIENT_ID"


def microsoft_client(sandbox: str | None) -> str:
    """The app registration's client id: the sandbox's, or the one named in the environment."""
    if sandbox:
        from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID

        return DEFAULT_CLIENT_ID
    client_id = os.environ.get(CLIENT_ID_ENV, "").strip()
    if not client_id:
        raise ConfigurationError(
            f"{CLIENT_ID_ENV} is not set: register an app in Microsoft Entra (App registrations), add the "
            "platform 'Mobile and desktop applications' with redirect URI http://localhost, allow public "
            f"client flows, export {CLIENT_ID_ENV}=<its Application (client) ID> and run this again; or try "
            "it locally with --sandbox http://127.0.0.1:8767 "
            "(start it with `charter sandbox up --service microsoft`)"
        )
    return client_id


def usable_actions(granted: frozenset[str]) -> list[str]:
    """The SharePoint actions a connection holding `granted` can run."""
    actions = get_connector("sharepoint").actions
    if SITES_SELECTED in granted:
        return sorted(actions)
    return sorted(
        name for name, spec in actions.items() if not MICROSOFT.missing_scopes(granted, spec.scopes)
    )


def connect_sharepoint_command(
    ctx: typer.Context,
    enable: Annotated[
        str | None,
        typer.Option(
            "--enable",
            metavar="ACTION,...",
            help="Actions to allow; Microsoft is asked only for their scopes.",
        ),
    ] = None,
    sandbox: Annotated[
        str | None, typer.Option("--sandbox", metavar="URL", help="Connect to a local Graph sandbox.")
    ] = None,
    tenant: Annotated[
        str,
        typer.Option(help="organizations (work or school), consumers (personal), common, or a tenant id."),
    ] = "organizations",
    sites_selected: Annotated[
        bool,
        typer.Option(
            "--sites-selected",
            help="Ask only for Sites.Selected: the app reaches just the sites an administrator granted it.",
        ),
    ] = False,
    device: Annotated[
        bool, typer.Option("--device", help="Use the device code flow (headless machine).")
    ] = False,
) -> None:
    """Connect a Microsoft 365 account for SharePoint, through msal, asking only for what is enabled."""
    from charter.cli.connections import (
        _open_browser,
        _show_user_code,
        print_connected,
        record_connected,
        sandbox_base,
    )

    here = local(ctx)
    scopes = (
        [SITES_SELECTED]
        if sites_selected
        else scopes_for("sharepoint", split_csv([enable]) if enable else [])
    )
    base = sandbox_base(sandbox, "microsoft") or LOGIN_BASE
    authority = authority_for(tenant, base)
    connection = connect_microsoft(
        here.vault,
        scopes=scopes,
        client_id=microsoft_client(sandbox),
        authority=authority,
        api_base=f"{base}/v1.0" if sandbox else "https://graph.microsoft.com/v1.0",
        device=device,
        open_browser=lambda url: _open_browser(browser_url(authority, url), device=True),
        show=lambda code, page: _show_user_code(code, browser_url(authority, page)),
    )
    record_connected(here, connection)
    print_connected(connection, scopes)
    console.print(f"  actions it can run: {plain(', '.join(usable_actions(connection.scopes))) or 'none'}")
    if sites_selected:
        console.print(
            "  Sites.Selected: an administrator must grant this app each site "
            "(POST /sites/{site-id}/permissions with Sites.FullControl.All)."
        )


__all__ = ["CLIENT_ID_ENV", "connect_sharepoint_command", "microsoft_client", "usable_actions"]

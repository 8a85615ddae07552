"""`charter connect sharepoint --sandbox URL`: msal consent for the enabled actions, saved in the vault."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from charter.cli.context import Local
from charter.sandboxes.microsoft import GraphSandbox

if TYPE_CHECKING:
    from conftest import Run


def asked(url: str) -> set[str]:
    return set(parse_qs(urlsplit(url).query)["scope"][0].split())


def test_enabled_reads_ask_only_for_their_scope(
    run: Run, local_home: Local, graph: GraphSandbox, browser: list[str]
) -> None:
    ran = run("connect", "sharepoint", "--sandbox", graph.url, "--enable", "list_children,download_file")
    assert ran.code == 0, ran.err
    assert browser[0].startswith(graph.url + "/organizations/oauth2/v2.0/authorize")
    assert asked(browser[0]) - {"openid", "profile", "offline_access"} == {"Sites.Read.All"}
    [connection] = local_home.vault.connections("sharepoint")
    assert connection.account == "adele@contoso.com"
    assert connection.scopes == {"Sites.Read.All"}
    assert "download_file" in ran.text
    assert "upload_file" not in ran.text.split("actions it can run:")[1]


def test_sites_selected_asks_for_that_scope_alone(
    run: Run, local_home: Local, graph: GraphSandbox, browser: list[str]
) -> None:
    ran = run(
        "connect",
        "sharepoint",
        "--sandbox",
        graph.url,
        "--sites-selected",
        "--tenant",
        "contoso.onmicrosoft.com",
    )
    assert ran.code == 0, ran.err
    assert asked(browser[0]) - {"openid", "profile", "offline_access"} == {"Sites.Selected"}
    assert "/contoso.onmicrosoft.com/" in browser[0]
    assert "administrator must grant" in ran.text


def test_without_a_client_id_it_says_how_to_register_one(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHARTER_MICROSOFT_CLIENT_ID", raising=False)
    ran = run("connect", "sharepoint")
    assert ran.code != 0
    assert "CHARTER_MICROSOFT_CLIENT_ID" in ran.err + ran.text


def test_own_drive_actions_ask_for_no_library_scope(
    run: Run, local_home: Local, graph: GraphSandbox, browser: list[str]
) -> None:
    enable = "list_my_files,download_my_file,upload_my_file"
    ran = run("connect", "sharepoint", "--sandbox", graph.url, "--enable", enable)
    assert ran.code == 0, ran.err
    wanted = asked(browser[0]) - {"openid", "profile", "offline_access"}
    assert wanted <= {"Files.Read", "Files.ReadWrite"}
    assert "Files.ReadWrite" in wanted
    [connection] = local_home.vault.connections("sharepoint")
    assert not {s for s in connection.scopes if s.endswith(".All")}
    assert "upload_my_file" in ran.text.split("actions it can run:")[1]
    assert "list_children" not in ran.text.split("actions it can run:")[1]

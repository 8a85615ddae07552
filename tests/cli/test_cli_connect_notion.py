"""`charter connect notion`: OAuth consent against the sandbox, or a pasted internal integration token."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from charter.cli.context import Local
from charter.cli.main import main
from charter.sandboxes.notion import NotionSandbox

if TYPE_CHECKING:
    from conftest import Run


def test_oauth_connects_and_records_the_capabilities(
    run: Run, local_home: Local, nsb: NotionSandbox, browser: list[str]
) -> None:
    ran = run("connect", "notion", "--sandbox", nsb.url, "--enable", "search,get_page")
    assert ran.code == 0, ran.err
    assert "owner=user" in browser[0]
    [connection] = local_home.vault.connections("notion")
    assert connection.account == "mona@acme.com"
    assert connection.scopes == {"read_content"}
    assert "Read content" in ran.text
    assert "Connections" in ran.text


def test_a_pasted_internal_token_is_stored_and_never_shown(
    run: Run, local_home: Local, nsb: NotionSandbox
) -> None:
    secret = nsb.oauth.issue_internal_token()
    ran = run("connect", "notion", "--internal", "--token-stdin", "--sandbox", nsb.url, stdin=f"{secret}\n")
    assert ran.code == 0, ran.err
    assert secret not in ran.out + ran.err
    [connection] = local_home.vault.connections("notion")
    assert connection.account == "workspace:Acme"
    assert local_home.vault.credentials(connection.id).access_token() == secret
    listed = run("connections", "list")
    assert secret not in listed.out
    assert "notion" in listed.out


def test_a_wrong_token_connects_nothing(run: Run, local_home: Local, nsb: NotionSandbox) -> None:
    ran = run("connect", "notion", "--internal", "--token-stdin", "--sandbox", nsb.url, stdin="ntn_wrong\n")
    assert ran.code != 0
    assert "ntn_wrong" not in ran.out + ran.err
    assert local_home.vault.connections("notion") == []


def test_unknown_capabilities_and_actions_are_usage_errors(run: Run, nsb: NotionSandbox) -> None:
    assert run("connect", "notion", "--sandbox", nsb.url, "--capabilities", "admin").code != 0
    assert run("connect", "notion", "--sandbox", nsb.url, "--enable", "nope").code != 0


def test_without_a_client_the_message_says_what_to_do(run: Run, monkeypatch: object) -> None:
    ran = run("connect", "notion")
    assert ran.code != 0
    assert "CHARTER_NOTION_CLIENT_ID" in ran.out + ran.err
    assert "--internal" in ran.out + ran.err


def test_connecting_notion_starts_a_new_home(
    tmp_path: Path, nsb: NotionSandbox, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = tmp_path / "fresh"
    secret = nsb.oauth.issue_internal_token()
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{secret}\n"))
    command = ["connect", "notion", "--internal", "--token-stdin", "--sandbox", nsb.url]
    code = main(["--home", str(fresh), *command])
    assert code == 0, capsys.readouterr().err
    assert main(["--home", str(fresh), "connections", "list"]) == 0
    assert "workspace:Acme" in capsys.readouterr().out

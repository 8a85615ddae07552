"""`charter connect gmail|calendar --enable …`: consent for exactly the enabled actions, widened later."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from charter.auth.providers.google import GMAIL_COMPOSE, GMAIL_MODIFY, GMAIL_READONLY
from charter.cli.context import Local
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import AuthRequired

if TYPE_CHECKING:
    from conftest import Run


@pytest.fixture(scope="module")
def google_cli_sandbox() -> Iterator[GoogleSandbox]:
    with GoogleSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def google(google_cli_sandbox: GoogleSandbox) -> GoogleSandbox:
    google_cli_sandbox.reset()
    return google_cli_sandbox


def asked(url: str) -> set[str]:
    return set(parse_qs(urlsplit(url).query)["scope"][0].split())


def test_enabled_reads_ask_only_for_the_read_scope(
    run: Run, local_home: Local, google: GoogleSandbox, browser: list[str]
) -> None:
    ran = run("connect", "gmail", "--sandbox", google.url, "--enable", "search_messages,get_message")
    assert ran.code == 0, ran.err
    assert asked(browser[0]) == {GMAIL_READONLY, "openid", "https://www.googleapis.com/auth/userinfo.email"}
    [connection] = local_home.vault.connections("gmail")
    assert connection.account == "mona@acme.com"
    assert GMAIL_READONLY in connection.scopes
    assert GMAIL_MODIFY not in connection.scopes
    assert "actions it can run:" in ran.text
    assert "get_message" in ran.text
    assert "trash_message" not in ran.text


def test_enabling_more_later_asks_again_for_the_new_scope_only_and_keeps_one_connection(
    run: Run, local_home: Local, google: GoogleSandbox, browser: list[str]
) -> None:
    assert run("connect", "gmail", "--sandbox", google.url, "--enable", "search_messages").code == 0
    ran = run("connect", "gmail", "--sandbox", google.url, "--enable", "draft_message")
    assert ran.code == 0, ran.err
    assert GMAIL_COMPOSE in asked(browser[1])
    assert GMAIL_READONLY not in asked(browser[1])
    [connection] = local_home.vault.connections("gmail")
    assert {GMAIL_READONLY, GMAIL_COMPOSE} <= connection.scopes
    assert "draft_message" in ran.text
    assert "search_messages" in ran.text


def test_an_unknown_action_is_refused_naming_the_real_ones(run: Run, google: GoogleSandbox) -> None:
    ran = run("connect", "gmail", "--sandbox", google.url, "--enable", "delete_everything")
    assert ran.code != 0
    assert "search_messages" in ran.out + ran.err


def test_connecting_google_without_a_client_id_says_how_to_get_one(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARTER_GOOGLE_CLIENT_ID", raising=False)
    ran = run("connect", "calendar")
    assert ran.code != 0
    assert "CHARTER_GOOGLE_CLIENT_ID" in ran.out + ran.err


def test_revoking_gmail_warns_that_calendar_shares_the_google_grant(
    run: Run, local_home: Local, google: GoogleSandbox, browser: list[str]
) -> None:
    assert run("connect", "gmail", "--sandbox", google.url, "--enable", "search_messages").code == 0
    assert run("connect", "calendar", "--sandbox", google.url, "--enable", "list_events").code == 0
    [gmail] = local_home.vault.connections("gmail")
    [calendar] = local_home.vault.connections("calendar")

    ran = run("connections", "revoke", gmail.id)

    assert ran.code == 0, ran.err
    assert f"calendar connection {calendar.id} shares the same Google grant" in ran.text
    assert f"charter connect calendar --sandbox {google.url}" in ran.text
    assert ran.err == ""  # no bare log line on stderr


def test_control_revoking_the_only_google_connection_warns_of_nothing(
    run: Run, local_home: Local, google: GoogleSandbox, browser: list[str]
) -> None:
    assert run("connect", "gmail", "--sandbox", google.url, "--enable", "search_messages").code == 0
    [gmail] = local_home.vault.connections("gmail")
    ran = run("connections", "revoke", gmail.id)
    assert ran.code == 0, ran.err
    assert "shares the same" not in ran.text


def test_a_failed_remote_revoke_is_told_once_in_the_output_not_as_a_log_line(
    run: Run, local_home: Local, google: GoogleSandbox, browser: list[str]
) -> None:
    assert run("connect", "gmail", "--sandbox", google.url, "--enable", "search_messages").code == 0
    [gmail] = local_home.vault.connections("gmail")
    google.faults.fail_next(10, status=503, method="POST", path="/revoke")

    # In a process of its own: pytest's log capture would hide a bare line printed by Python.
    code = "import sys; from charter.cli.main import main; sys.exit(main(sys.argv[1:]))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}
    if local_home.home.database_url:  # the Postgres run: the process must find the same database
        env["CHARTER_DATABASE_URL"] = local_home.home.database_url
    args = [sys.executable, "-c", code, "--home", str(local_home.path), "connections", "revoke", gmail.id]
    ran = subprocess.run(args, capture_output=True, text=True, timeout=60, env=env)

    assert ran.returncode == 0, ran.stderr
    assert "did not confirm the revocation" in " ".join(ran.stdout.split())
    assert ran.stderr == ""


def test_the_reconnect_hint_keeps_the_sandbox_it_was_connected_through(
    run: Run, local_home: Local, google: GoogleSandbox, browser: list[str]
) -> None:
    assert run("connect", "gmail", "--sandbox", google.url, "--enable", "search_messages").code == 0
    [gmail] = local_home.vault.connections("gmail")
    assert run("connections", "revoke", gmail.id).code == 0

    with pytest.raises(AuthRequired) as caught:
        local_home.vault.access_token(gmail.id)
    assert f"run `charter connect gmail --sandbox {google.url}`" in caught.value.message

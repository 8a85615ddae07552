"""`charter connect gmail|calendar --enable …`: consent for exactly the enabled actions, widened later."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from charter.auth.providers.google import GMAIL_COMPOSE, GMAIL_MODIFY, GMAIL_READONLY
from charter.cli.context import Local
from charter.sandboxes.google import GoogleSandbox

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

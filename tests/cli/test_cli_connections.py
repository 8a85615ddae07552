"""`charter connect github` and `charter connections`, through the real consent flows against the sandbox."""

from __future__ import annotations

import io
import re
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from rich.console import Console

from charter.cli.context import Local
from charter.sandboxes.github import GitHubSandbox

if TYPE_CHECKING:
    from conftest import Run


def test_connect_runs_the_loopback_flow_and_records_the_granted_scopes(
    run: Run, local_home: Local, sandbox: GitHubSandbox, browser: list[str]
) -> None:
    ran = run("connect", "github", "--sandbox", sandbox.url)
    assert ran.code == 0, ran.err
    query = parse_qs(urlsplit(browser[0]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"][0]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert browser[0] in ran.out.replace("\n", "")  # printed too, for a machine without a browser

    [connection] = local_home.vault.connections()
    assert connection.account == "mona"
    assert connection.scopes == frozenset({"repo"})
    assert f"connected mona as {connection.id}" in ran.text
    token = local_home.vault.access_token(connection.id)
    assert token not in ran.out + ran.err
    entry = local_home.audit.tail(1)[0]
    assert (entry.actor, entry.action, entry.result_ref) == ("person", "connection.connect", connection.id)


def test_connect_says_which_requested_scopes_were_not_granted(
    run: Run, sandbox: GitHubSandbox, browser: list[str]
) -> None:
    sandbox.oauth.grant_only({"repo"})
    ran = run("connect", "github", "--sandbox", sandbox.url, "--scopes", "repo,read:org")
    assert ran.code == 0, ran.err
    assert "scopes granted: repo" in ran.text
    assert "not granted: read:org" in ran.text


def test_device_flow_shows_the_code_and_polls_until_approved(
    run: Run, local_home: Local, sandbox: GitHubSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox.oauth.device_interval = 0.01
    shown: list[str] = []

    def person_enters_the_code(user_code: str, verification_uri: str) -> None:
        shown.append(user_code)
        sandbox.oauth.approve_device(user_code)

    monkeypatch.setattr("charter.cli.connections._show_user_code", person_enters_the_code)
    ran = run("connect", "github", "--device", "--sandbox", sandbox.url)
    assert ran.code == 0, ran.err
    assert len(shown) == 1
    assert [c.account for c in local_home.vault.connections()] == ["mona"]


def test_list_and_revoke_end_the_token_at_the_provider(
    run: Run, local_home: Local, sandbox: GitHubSandbox, browser: list[str]
) -> None:
    assert "No connections yet" in run("connections").text
    run("connect", "github", "--sandbox", sandbox.url)
    [connection] = local_home.vault.connections()
    token = local_home.vault.access_token(connection.id)

    listed = run("connections")
    assert connection.id in listed.out
    assert "active" in listed.out
    assert token not in listed.out

    ran = run("connections", "revoke", connection.id)
    assert ran.code == 0, ran.err
    assert "the provider revoked the token" in ran.text
    assert sandbox.tokens.lookup(token) is None
    assert "revoked" in run("connections", "list").out
    assert local_home.audit.tail(1)[0].action == "connection.revoke"


@pytest.mark.parametrize("url", ["127.0.0.1:8765", "http://127.0.0.1:1"])
def test_a_sandbox_url_without_scheme_or_server_is_refused_before_consent(
    run: Run, local_home: Local, url: str, browser: list[str]
) -> None:
    started = time.monotonic()
    ran = run("connect", "github", "--sandbox", url)
    assert ran.code == 1
    assert ran.err.startswith("error[configuration_error]: ")
    assert time.monotonic() - started < 5
    assert browser == []  # the person was sent nowhere
    assert local_home.vault.connections() == []


def test_a_google_sandbox_with_nothing_listening_names_the_command_that_starts_it(run: Run) -> None:
    ran = run("connect", "gmail", "--sandbox", "http://127.0.0.1:1")
    assert "charter sandbox up --service google --port 1" in ran.err


def test_consent_says_how_long_it_waits_and_when_no_browser_opened(
    run: Run, sandbox: GitHubSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_browser(url: str, *args: object, **kwargs: object) -> bool:
        httpx.get(url, follow_redirects=True, timeout=10.0)  # the person opens it by hand
        return False

    monkeypatch.setattr("webbrowser.open", no_browser)
    ran = run("connect", "github", "--sandbox", sandbox.url)
    assert ran.code == 0, ran.err
    assert "No browser could be opened here" in ran.text
    assert "Waiting up to 5m for the answer" in ran.text


class _PersonAtTheTerminal(io.StringIO):
    """A terminal whose reader runs the `curl` line Charter prints, once, as a person would paste it."""

    ran: list[str]

    def __init__(self) -> None:
        super().__init__()
        self.ran = []

    def write(self, text: str) -> int:
        written = super().write(text)
        found = re.search(r"curl -sL '([^']+)' >/dev/null", self.getvalue())
        if found and not self.ran:
            self.ran.append(found[1])
            # What `curl -sL` does: GET, following the redirect to the 127.0.0.1 listener.
            threading.Thread(target=httpx.get, args=(found[1],), kwargs={"follow_redirects": True}).start()
        return written


def test_without_a_browser_the_printed_command_finishes_a_sandbox_consent(
    run: Run, local_home: Local, sandbox: GitHubSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _PersonAtTheTerminal()
    monkeypatch.setattr("webbrowser.open", lambda url, *a, **k: False)
    monkeypatch.setattr("charter.cli.connections.console", Console(file=terminal, width=100))

    ran = run("connect", "github", "--sandbox", sandbox.url)

    assert ran.code == 0, ran.err
    assert len(terminal.ran) == 1
    assert terminal.ran[0].startswith(sandbox.url + "/login/oauth/authorize")
    assert "connect with --device" in terminal.getvalue()
    assert [c.account for c in local_home.vault.connections()] == ["mona"]


@pytest.mark.parametrize(
    ("url", "local"),
    [("http://127.0.0.1:8765/x", True), ("http://localhost:1/", True), ("https://127.0.0.1:8765", False),
     ("https://github.com/login/oauth/authorize", False), ("http://127.0.0.1.example.com/", False)],
)  # fmt: skip
def test_only_a_loopback_sandbox_is_offered_the_curl_line(url: str, local: bool) -> None:
    from charter.auth.consent.urls import is_loopback_http

    assert is_loopback_http(url) is local

"""What holds for every `charter connect SERVICE`: it starts a home, checks --sandbox first, and a
device flow can be finished by a person typing the code into the sandbox's page."""

from __future__ import annotations

import io
import re
import shlex
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from charter.auth.home import CharterHome
from charter.cli.app import command_tree
from charter.cli.context import Local
from charter.cli.main import main
from charter.sandboxes.github import GitHubSandbox
from charter.sandboxes.google import GoogleSandbox
from charter.sandboxes.microsoft import GraphSandbox
from charter.sandboxes.notion import NotionSandbox
from charter.schemas import AuthRequired

# Each connect subcommand -> the fixture of the sandbox it connects to.
SANDBOX_OF = {"github": "sb", "gmail": "gsb", "calendar": "gsb", "sharepoint": "graph", "notion": "nsb"}
DEVICE_FLOWS = ["github", "sharepoint"]

Sandbox = GitHubSandbox | GoogleSandbox | GraphSandbox | NotionSandbox


def test_every_connect_subcommand_is_covered_here() -> None:
    connect = command_tree().commands["connect"]
    assert set(getattr(connect, "commands", {})) == set(SANDBOX_OF)


@pytest.mark.parametrize("service", sorted(SANDBOX_OF))
def test_connecting_any_service_starts_a_new_home(
    service: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    browser: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox: Sandbox = request.getfixturevalue(SANDBOX_OF[service])
    fresh = tmp_path / "fresh"

    code = main(["connect", service, "--sandbox", sandbox.url, "--home", str(fresh)])

    said = capsys.readouterr()
    assert code == 0, said.err
    assert f"No Charter home at {fresh} yet: this connection starts one there." in said.out
    [connection] = Local(fresh, create=False).vault.connections()
    assert connection.service == service
    # Connecting another account into that home says nothing of starting one.
    assert main(["connect", service, "--sandbox", sandbox.url, "--home", str(fresh)]) == 0
    assert "starts one" not in capsys.readouterr().out
    # Control: any other command on a home that does not exist names it and creates nothing.
    other = tmp_path / "other"
    assert main(["connections", "--home", str(other)]) == 1
    assert f"no Charter home at {other}" in capsys.readouterr().err
    assert not other.exists()


@pytest.mark.parametrize("url", ["127.0.0.1:8765", "http://127.0.0.1:1"])
@pytest.mark.parametrize("service", sorted(SANDBOX_OF))
def test_every_sandbox_url_is_checked_before_consent(
    service: str, url: str, tmp_path: Path, browser: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    home = CharterHome(tmp_path / "home")
    started = time.monotonic()

    code = main(["--home", str(home.path), "connect", service, "--sandbox", url])

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error[configuration_error]: "), err
    assert err.count("\n") == 1
    assert time.monotonic() - started < 5
    assert browser == []  # the person was sent nowhere
    assert Local(home.path).vault.connections() == []


class _Form(HTMLParser):
    """The first form of a page: where it posts and the names of its inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = ""
        self.inputs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and self.action is None:
            self.action, self.method = found.get("action") or "", (found.get("method") or "get").lower()
        elif tag == "input" and found.get("name"):
            self.inputs.append(str(found["name"]))


def _types_the_code_into_the_page(user_code: str, page: str) -> None:
    """What a person does with what the CLI prints: opens the page and submits its form."""
    assert urlsplit(page).scheme == "http", page  # a loopback sandbox serves plain http
    shown = httpx.get(page, timeout=10.0)
    assert shown.status_code == 200, shown.text
    form = _Form()
    form.feed(shown.text)
    assert (form.method, form.inputs) == ("post", ["user_code"]), shown.text
    answer = httpx.post(urljoin(page, form.action), data={"user_code": user_code}, timeout=10.0)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("service", DEVICE_FLOWS)
def test_a_device_flow_is_finished_on_the_sandbox_page_as_a_person_would(
    service: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox: Sandbox = request.getfixturevalue(SANDBOX_OF[service])
    if isinstance(sandbox, GitHubSandbox):
        sandbox.oauth.device_interval = 0.01
    elif isinstance(sandbox, GraphSandbox):
        sandbox.entra.device_interval = 0
    pages: list[str] = []

    def person(user_code: str, page: str) -> None:
        pages.append(page)
        _types_the_code_into_the_page(user_code, page)

    monkeypatch.setattr("charter.cli.connections._show_user_code", person)
    home = tmp_path / "home"

    code = main(["--home", str(home), "connect", service, "--device", "--sandbox", sandbox.url])

    assert code == 0, capsys.readouterr().err
    assert len(pages) == 1
    [connection] = Local(home, create=False).vault.connections()
    assert connection.service == service


@pytest.mark.parametrize("service", DEVICE_FLOWS)
def test_control_a_wrong_code_typed_into_the_page_is_refused(
    service: str, request: pytest.FixtureRequest
) -> None:
    sandbox: Sandbox = request.getfixturevalue(SANDBOX_OF[service])
    page = {"github": "/login/device", "sharepoint": "/devicelogin"}[service]

    answer = httpx.post(sandbox.url + page, data={"user_code": "NOPE-NOPE"}, timeout=10.0)

    assert answer.status_code == 404
    assert "not valid" in answer.text


# How each account was first connected: the options after `--sandbox URL`.
RECONNECTS = [
    ("github", []),
    ("gmail", ["--enable", "search_messages"]),
    ("calendar", []),
    ("sharepoint", []),
    ("sharepoint", ["--tenant", "consumers"]),
    ("sharepoint", ["--sites-selected"]),
    ("notion", []),
    ("notion", ["--internal", "--token-stdin"]),
]


@pytest.mark.parametrize(("service", "options"), RECONNECTS, ids=[" ".join([s, *o]) for s, o in RECONNECTS])
def test_the_reconnect_hint_runs_as_printed_and_connects_the_same_way_again(
    service: str,
    options: list[str],
    request: pytest.FixtureRequest,
    tmp_path: Path,
    browser: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sandbox: Sandbox = request.getfixturevalue(SANDBOX_OF[service])
    home = tmp_path / "home"

    def charter(*args: str) -> int:
        if isinstance(sandbox, NotionSandbox):  # a pasted secret, for --internal
            monkeypatch.setattr("sys.stdin", io.StringIO(sandbox.oauth.issue_internal_token() + "\n"))
        return main(["--home", str(home), *args])

    assert charter("connect", service, "--sandbox", sandbox.url, *options) == 0, capsys.readouterr().err
    vault = Local(home, create=False).vault
    [first] = vault.connections()
    vault.revoke(first.id)
    with pytest.raises(AuthRequired) as refused:
        vault.access_token(first.id)
    [hint] = re.findall(r"run `(charter [^`]+)`", refused.value.message)

    assert charter(*shlex.split(hint)[1:]) == 0, (hint, capsys.readouterr().err)
    [again] = [c for c in vault.connections() if c.status == "active"]
    assert (again.service, again.account, again.oauth_base, again.client_id) == (
        first.service,
        first.account,
        first.oauth_base,
        first.client_id,
    ), hint
    assert again.scopes >= first.scopes
    if "--sites-selected" in options:
        assert again.scopes == first.scopes  # not widened to every site

"""Run `charter` in-process against a throwaway home and capture what a person would see."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from charter.auth.home import CharterHome
from charter.cli.context import Local
from charter.cli.main import main
from charter.sandboxes.github import GitHubSandbox


@dataclass
class Ran:
    """The outcome of one `charter` invocation."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout with line wrapping undone (rich wraps at the 80 columns of a captured stream)."""
        return " ".join(self.out.split())


Run = Callable[..., Ran]


@pytest.fixture(autouse=True)
def _no_charter_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CHARTER_HOME", "CHARTER_DATABASE_URL", "CHARTER_KEY", "CHARTER_GRANT_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def home_path(tmp_path: Path, database_url: str | None, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The home the commands run on, once on SQLite and once on Postgres (as an operator sets it)."""
    if database_url is not None:
        monkeypatch.setenv("CHARTER_DATABASE_URL", database_url)
    return tmp_path / "home"


@pytest.fixture
def local_home(home_path: Path) -> Local:
    """The stores of the home the commands run on, for setting up and checking state."""
    return Local(home_path)


@pytest.fixture
def home(local_home: Local) -> CharterHome:
    return local_home.home


@pytest.fixture
def run(
    home_path: Path, home: CharterHome, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Run:
    """`run("grant", "list", stdin="...")`: invoke `charter --home <tmp> ...` and capture its output.

    The home exists already, as after connecting an account: only `connect` starts a new one.
    """

    def invoke(*args: str, stdin: str = "") -> Ran:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--home", str(home_path), *args])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def sandbox(sb: GitHubSandbox) -> GitHubSandbox:
    """The session's GitHub sandbox, back at its seed state (the suite-wide `sb`)."""
    return sb


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A browser that follows the consent redirect like a person clicking Authorize; records the URLs."""
    opened: list[str] = []

    def open_url(url: str, *args: object, **kwargs: object) -> bool:
        opened.append(url)
        httpx.get(url, follow_redirects=True, timeout=10.0)
        return True

    monkeypatch.setattr("webbrowser.open", open_url)
    return opened


ACCESS_TOKEN = "ghu_cliTestAccessToken0123456789abcdef"


@pytest.fixture
def connection_id(local_home: Local) -> str:
    """A GitHub connection saved straight into the vault (no consent flow needed to issue grants)."""
    from charter.auth.consent import TokenSet

    connection = local_home.vault.add_connection(
        service="github",
        provider="github",
        account="mona",
        tokens=TokenSet(ACCESS_TOKEN, scopes=frozenset({"repo"})),
        api_base="http://127.0.0.1:9",
        oauth_base="http://127.0.0.1:9",
        client_id="Iv1.test",
    )
    return connection.id

"""Only connecting an account starts a home: servers, agents and listings name a missing one instead."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from charter.agents import Toolkit
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.cli.main import hoist_home, main
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import ConfigurationError


def _charter(*args: str, user_home: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`charter ARGS` in a new process whose user home is `user_home`, with no Charter settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}
    env["HOME"] = str(user_home)
    code = "import sys; from charter.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout, env=env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def grant_file(tmp_path: Path) -> Path:
    """A real grant, issued by a home elsewhere, written where an MCP client config would name it."""
    home = CharterHome(tmp_path / "issuer")
    issued = GrantAuthority(home).issue("mona", "triage-bot", ("github-mona",), ("read",))
    path = tmp_path / "triage-bot.grant"
    path.write_text(issued.token + "\n")
    return path


@pytest.mark.parametrize("transport", [[], ["--http", "--port", "0"]], ids=["stdio", "http"])
def test_the_mcp_server_names_the_missing_home_and_creates_none(
    tmp_path: Path, grant_file: Path, transport: list[str]
) -> None:
    user_home = tmp_path / "user"
    user_home.mkdir()

    ran = _charter("mcp", "serve", "--grant-file", str(grant_file), *transport, user_home=user_home)

    assert ran.returncode == 1
    assert ran.stderr.startswith(
        f"error[configuration_error]: there is no Charter home at {user_home}/.charter"
    )
    assert "signature" not in ran.stderr
    assert ran.stdout == ""
    assert not (user_home / ".charter").exists()


def test_control_the_same_server_with_the_home_that_issued_the_grant_gets_past_it(
    tmp_path: Path, grant_file: Path
) -> None:
    user_home = tmp_path / "user"
    user_home.mkdir()
    args = ("--home", str(tmp_path / "issuer"), "mcp", "serve", "--grant-file", str(grant_file))

    ran = _charter(*args, user_home=user_home)

    # stdin is closed at once, so the server starts, then stops: past the home, and past the grant.
    assert "no Charter home" not in ran.stderr
    assert "Serving grant grt_" in ran.stderr


def test_a_toolkit_without_a_home_names_it_and_creates_none(
    tmp_path: Path, grant_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv("CHARTER_HOME", str(missing))
    monkeypatch.delenv("CHARTER_DATABASE_URL", raising=False)

    with pytest.raises(ConfigurationError, match=f"no Charter home at {missing}"):
        Toolkit(grant_file.read_text().strip())
    assert not missing.exists()


@pytest.mark.parametrize(
    "command",
    [["connections", "list"], ["connections"], ["grant", "list"], ["approvals", "list"], ["audit", "tail"],
     ["audit", "verify"], ["connections", "revoke", "github-x"], ["grant", "revoke", "grt_x"]],
    ids=" ".join,
)  # fmt: skip
def test_a_mistyped_home_is_named_and_not_created(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "hmoe"

    code = main(["--home", str(typo), *command])

    assert code == 1
    assert f"no Charter home at {typo}" in capsys.readouterr().err
    assert not typo.exists()


def test_connecting_an_account_is_what_starts_a_home(
    tmp_path: Path, sandbox: GitHubSandbox, browser: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    fresh = tmp_path / "fresh"

    code = main(["connect", "github", "--sandbox", sandbox.url, "--home", str(fresh)])

    assert code == 0, capsys.readouterr().err
    assert (fresh / "charter.db").exists()
    assert main(["connections", "list", "--home", str(fresh)]) == 0
    assert "mona" in capsys.readouterr().out


def test_home_is_read_after_the_subcommand_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    GrantAuthority(CharterHome(elsewhere)).issue("mona", "late-bot", ("github-mona",), ("read",))
    monkeypatch.setenv("CHARTER_HOME", str(tmp_path / "default"))
    CharterHome(tmp_path / "default")

    assert main(["grant", "list", "--home", str(elsewhere)]) == 0
    assert "late-bot" in capsys.readouterr().out
    assert main(["grant", "list"]) == 0  # control: without it, the default home, which has no grant
    assert "late-bot" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("given", "expected"),
    [(["grant", "list", "--home", "/h"], ["--home", "/h", "grant", "list"]),
     (["grant", "list", "--home=/h"], ["--home=/h", "grant", "list"]),
     (["--home", "/a", "audit", "tail", "--home", "/b"], ["--home", "/a", "--home", "/b", "audit", "tail"]),
     (["demo", "--home", "/d"], ["demo", "--home", "/d"]),
     (["mcp", "serve", "--", "--home", "/x"], ["mcp", "serve", "--", "--home", "/x"]),
     (["--help"], ["--help"])],
)  # fmt: skip
def test_home_after_the_subcommand_moves_before_it(given: list[str], expected: list[str]) -> None:
    assert hoist_home(given) == expected

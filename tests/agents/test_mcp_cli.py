"""`charter mcp serve`: where the grant comes from, and failures reported before anything is served."""

from __future__ import annotations

import gc
import socket
from pathlib import Path

import anyio
import pytest

from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.cli import mcp as mcp_cli
from charter.cli.main import main, starts_a_server
from charter.cli.mcp import GRANT_ENV, read_grant
from charter.cli.output import UsageProblem


@pytest.fixture(autouse=True)
def _no_grant_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GRANT_ENV, raising=False)


def test_grant_comes_from_the_option_then_the_file_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GRANT_ENV, "chg_from_env")
    assert read_grant("chg_from_option", None) == "chg_from_option"
    grant_file = tmp_path / "grant"
    grant_file.write_text("chg_from_file\n")
    assert read_grant(None, grant_file) == "chg_from_file"
    assert read_grant(None, None) == "chg_from_env"


def test_no_grant_or_two_grants_is_a_usage_problem(tmp_path: Path) -> None:
    with pytest.raises(UsageProblem, match=GRANT_ENV):
        read_grant(None, None)
    with pytest.raises(UsageProblem, match="either --grant or --grant-file"):
        read_grant("chg_a", tmp_path / "grant")
    with pytest.raises(UsageProblem, match="cannot read the grant file"):
        read_grant(None, tmp_path / "missing")


def test_invalid_grant_fails_on_stderr_before_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = CharterHome(tmp_path / "home")
    code = main(["--home", str(home.path), "mcp", "serve", "--grant", "chg_bogus.token"])
    captured = capsys.readouterr()
    assert code == 1
    assert "error[grant_denied]" in captured.err
    assert captured.out == ""  # on stdio, stdout belongs to the MCP client


def test_port_in_use_is_a_configuration_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = CharterHome(tmp_path / "home")
    grant = GrantAuthority(home).issue("mona", "triage-bot", ("github-mona",), ("read",))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        serve = ["mcp", "serve", "--http", "--port", port, "--grant", grant.token]
        code = main(["--home", str(home.path), *serve])
    assert code == 1
    assert f"error[configuration_error]: port {port} is already in use" in capsys.readouterr().err


def test_one_ctrl_c_at_a_terminal_stops_the_stdio_server_then_says_so(tmp_path: Path) -> None:
    import os
    import pty
    import select
    import signal
    import sys
    import time

    home = CharterHome(tmp_path / "home")
    grant = GrantAuthority(home).issue("mona", "triage-bot", ("github-mona",), ("read",))
    code = "import sys; from charter.cli.main import main; sys.exit(main(sys.argv[1:]))"
    args = [sys.executable, "-c", code, "--home", str(home.path), "mcp", "serve", "--grant", grant.token]
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the server, on a terminal as when a person runs it by hand
        os.execv(sys.executable, args)
    seen, status = b"", None

    def read_until(wanted: bytes, seconds: float) -> None:
        nonlocal seen
        deadline = time.monotonic() + seconds
        while wanted not in seen and time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.1)[0]:
                try:
                    seen += os.read(terminal, 4096)
                except OSError:
                    return

    try:
        read_until(b"over MCP on stdio", 60)
        assert b"over MCP on stdio" in seen
        os.write(terminal, b"\x03")  # Ctrl-C, typed once
        deadline = time.monotonic() + 15
        while status is None and time.monotonic() < deadline:
            done, status_code = os.waitpid(pid, os.WNOHANG)
            status = status_code if done else None
            read_until(b"stopped", 0.1)
        assert status is not None, "the server still runs after one Ctrl-C"
        assert os.waitstatus_to_exitcode(status) == 0
        read_until(b"stopped", 1)
        assert seen.rstrip().endswith(b"MCP server stopped.")
    finally:
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(terminal)


@pytest.mark.parametrize(
    ("args", "serves"),
    [
        (["mcp", "serve", "--grant", "t"], True),
        (["--home", "h", "mcp", "serve"], True),
        (["--home", "mcp", "grant", "list"], False),
        (["mcp", "--help"], False),
        (["grant", "list", "mcp", "serve"], False),
    ],
)
def test_only_mcp_serve_starts_with_the_collector_paused(args: list[str], serves: bool) -> None:
    assert starts_a_server(args) is serves


def test_the_server_runs_with_the_collector_on_and_its_start_frozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = CharterHome(tmp_path / "home")
    grant = GrantAuthority(home).issue("mona", "triage-bot", ("github-mona",), ("read",))
    seen: list[tuple[bool, int]] = []
    monkeypatch.setattr(anyio, "run", lambda *_: seen.append((gc.isenabled(), gc.get_freeze_count())))
    resume = mcp_cli.resume_collector
    started_paused: list[bool] = []
    monkeypatch.setattr(
        mcp_cli, "resume_collector", lambda: (started_paused.append(gc.isenabled()), resume())
    )
    assert gc.isenabled()
    assert main(["--home", str(home.path), "mcp", "serve", "--grant", grant.token]) == 0
    assert started_paused == [False]
    assert len(seen) == 1
    enabled, frozen = seen[0]
    assert enabled
    assert frozen > 0
    # Run in this longer process, `main` leaves the collector as it found it.
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_server_that_fails_to_start_leaves_the_collector_on(tmp_path: Path) -> None:
    home = CharterHome(tmp_path / "home")
    assert main(["--home", str(home.path), "mcp", "serve", "--grant", "chg_bogus.token"]) == 1
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0

"""Failures are one line, `error[<code>]: <message>`, exit code 1, never a traceback or a secret."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from charter.auth.audit import AuditLog
from charter.cli.main import main

if TYPE_CHECKING:
    from conftest import Run


def _one_coded_line(err: str, code: str) -> None:
    assert err.startswith(f"error[{code}]: "), err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_an_unknown_option_is_a_usage_error(run: Run) -> None:
    ran = run("grant", "list", "--bogus")
    assert ran.code == 1
    _one_coded_line(ran.err, "usage_error")
    assert "--bogus" in ran.err
    assert "charter grant list --help" in ran.err


def test_an_unknown_command_is_a_usage_error(run: Run) -> None:
    ran = run("frobnicate")
    assert ran.code == 1
    _one_coded_line(ran.err, "usage_error")


def test_a_charter_error_keeps_its_code(run: Run) -> None:
    ran = run("grant", "revoke", "grt_nope")
    assert ran.code == 1
    _one_coded_line(ran.err, "not_found")
    assert "grt_nope" in ran.err


def test_connecting_to_github_without_an_oauth_app_says_what_to_set(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARTER_GITHUB_CLIENT_ID", raising=False)
    monkeypatch.delenv("CHARTER_GITHUB_CLIENT_SECRET", raising=False)
    ran = run("connect", "github")
    assert ran.code == 1
    _one_coded_line(ran.err, "configuration_error")
    assert "CHARTER_GITHUB_CLIENT_ID" in ran.err
    assert "--sandbox" in ran.err


def test_an_unexpected_failure_is_one_line_without_its_text(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "ghu_SecretThatMustNotLeak0123456789"

    def broken(self: AuditLog, n: int = 20) -> list[object]:
        raise RuntimeError(f"boom with {secret}")

    monkeypatch.setattr(AuditLog, "tail", broken)
    ran = run("audit", "tail")
    assert ran.code == 1
    _one_coded_line(ran.err, "internal_error")
    assert "RuntimeError" in ran.err
    assert secret not in ran.err + ran.out


def test_sandbox_up_on_a_busy_port_fails_before_serving(run: Run) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ran = run("sandbox", "up", "--port", str(port))
    assert ran.code == 1
    _one_coded_line(ran.err, "configuration_error")
    assert f"port {port} is already in use" in ran.err
    assert ran.out == ""


def test_sandbox_up_refuses_an_unknown_service(run: Run) -> None:
    ran = run("sandbox", "up", "--service", "myspace")
    assert ran.code == 1
    _one_coded_line(ran.err, "configuration_error")
    assert "github" in ran.err


def test_an_unusable_home_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["--home", str(blocker / "home"), "grant", "list"]) == 1
    err = capsys.readouterr().err
    _one_coded_line(err, "configuration_error")
    assert "--home" in err

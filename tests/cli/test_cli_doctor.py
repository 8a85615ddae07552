"""`charter doctor`, `--version`, `--json` on listings and short scopes: what a new user checks first."""

from __future__ import annotations

import json
import os
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from charter.cli.context import Local
from charter.cli.main import main
from charter.cli.output import short_scope
from charter.sandboxes.github import GitHubSandbox

if TYPE_CHECKING:
    from conftest import Run


def test_version_is_the_installed_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"charter {version('charter')}"


def test_doctor_on_a_missing_home_says_how_to_start_one_and_creates_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    assert main(["--home", str(missing), "doctor", "--json"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert checks["home"]["state"] == "fail"
    assert "charter connect github" in checks["home"]["fix"]
    assert checks["extra mcp"]["state"] == "ok"
    assert not missing.exists()


def test_doctor_checks_keys_database_and_each_connection(
    run: Run, local_home: Local, sandbox: GitHubSandbox, browser: list[str]
) -> None:
    assert run("connect", "github", "--sandbox", sandbox.url).code == 0
    [connection] = local_home.vault.connections()
    local_home.grants.issue("mona", "triage-bot", (connection.id,), ("read",))

    healthy = run("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(healthy.out)}
    assert healthy.code == 0, healthy.out
    assert [checks[n]["state"] for n in ("home", "vault key", "grant key", "database")] == ["ok"] * 4
    assert checks[f"connection {connection.id}"]["state"] == "ok"

    sandbox.faults.revoke_tokens()  # as after a restart of the sandbox: its tokens are gone
    os.chmod(local_home.home.key_file, 0o644)
    broken = run("doctor", "--json")
    checks = {c["name"]: c for c in json.loads(broken.out)}
    assert broken.code == 1
    key = local_home.home.key_file
    assert checks["vault key"] == {
        "name": "vault key", "state": "fail", "detail": f"{key} is readable by other users (mode 644)",
        "fix": f"chmod 600 {key}",
    }  # fmt: skip
    lines = run("doctor").out.splitlines()  # as a person reads it: each fix whole, to copy
    assert any(f"chmod 600 {key}" in line for line in lines), lines
    assert any(line.startswith("fail ") and str(key) in line for line in lines), lines
    os.chmod(local_home.home.key_file, 0o600)
    again = run("doctor", "--json")
    assert again.code == 1
    [gone] = [c for c in json.loads(again.out) if c["name"] == f"connection {connection.id}"]
    assert gone["state"] == "fail"
    assert gone["fix"] == f"connect again: charter connect github --sandbox {sandbox.url}"
    assert "connection github" in run("doctor").text


def test_connections_list_as_json_never_holds_a_token(
    run: Run, local_home: Local, sandbox: GitHubSandbox, browser: list[str]
) -> None:
    assert run("connect", "github", "--sandbox", sandbox.url).code == 0
    token = local_home.vault.access_token(local_home.vault.connections()[0].id)

    for args in (("connections", "--json"), ("connections", "list", "--json")):
        ran = run(*args)
        [listed] = json.loads(ran.out)
        assert listed["account"] == "mona"
        assert listed["scopes"] == ["repo"]
        assert listed["status"] == "active"
        assert token not in ran.out


def test_an_empty_listing_as_json_is_an_empty_array(run: Run) -> None:
    assert json.loads(run("connections", "--json").out) == []
    assert json.loads(run("approvals", "list", "--json").out) == []


@pytest.mark.parametrize(
    ("scope", "shown"),
    [("https://www.googleapis.com/auth/gmail.compose", "gmail.compose"), ("repo", "repo"),
     ("openid", "openid"), ("https://graph.microsoft.com/Files.ReadWrite", "Files.ReadWrite"),
     ("read:org", "read:org")],
)  # fmt: skip
def test_scopes_are_shown_short(scope: str, shown: str) -> None:
    assert short_scope(scope) == shown

"""`charter demo` end to end: consent, grant, approval pause, one posted comment, an intact audit trail."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from charter.cli.context import Local
from charter.cli.main import main

if TYPE_CHECKING:
    from conftest import Run


def test_demo_pauses_for_approval_posts_once_and_verifies_the_trail(run: Run, tmp_path: Path) -> None:
    demo_home = tmp_path / "demo-home"
    ran = run("demo", "--pace", "0", "--home", str(demo_home))
    assert ran.code == 0, ran.err
    text = ran.text
    assert re.search(r"⏸ paused for a person's approval: apr_\S+", text)
    assert "approval required because github_comment is tagged external" in text
    assert "On GitHub: 0 comments" in text
    assert "✗ grant_denied: denied because repo=acme/api is outside grant" in text
    assert "$ charter approvals approve apr_" in text
    assert "(replayed: it had already run, nothing new was sent)" in text
    assert "1 comment on acme/web#5 carries triage-bot's attribution line, after two resumes" in text
    assert re.search(r"chain intact: \d+ entries", text)

    # What the demo left behind agrees with what it printed.
    here = Local(demo_home)
    assert here.audit.verify().ok
    people = [e for e in here.audit.entries() if e.actor == "person"]
    assert [e.action for e in people] == ["connection.connect", "grant.issue", "approval.approve"]
    [connection] = here.vault.connections()
    assert here.vault.access_token(connection.id) not in ran.out
    [grant] = here.grants.list()
    assert grant.claims.constraints == {"repos": ("acme/web",)}
    assert grant.used >= 4  # list, comments, draft and the approved commit ran on its budget


def test_demo_uses_a_throwaway_home_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    personal = tmp_path / "personal-home"
    monkeypatch.setenv("CHARTER_HOME", str(personal))
    assert main(["demo", "--pace", "0"]) == 0
    out = capsys.readouterr().out
    assert "chain intact" in out
    assert not personal.exists()
    assert "charter-demo-" in out

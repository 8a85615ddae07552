"""Group commit of audit entries: threads share a commit, none returns before its entry is durable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import select

from charter.auth.audit import AuditLog, audit_chain_table
from charter.auth.audit_group import GroupCommit
from charter.auth.home import CharterHome


def _record(log: AuditLog, i: int) -> int:
    event = log.record(actor="agent", subject="mona", action="x", args={"i": i}, outcome="ok")
    return event.seq


def _wait_until(check: Callable[[], bool]) -> None:
    # Waits on the queue's state, not on a time: the check is what the test needs to be true.
    tick = threading.Event()
    for _ in range(10_000):
        if check():
            return
        tick.wait(0.001)
    raise AssertionError("the condition never came true")


def test_entries_waiting_during_a_commit_are_committed_together() -> None:
    entered, release = threading.Event(), threading.Event()
    groups: list[list[int]] = []

    def commit(items: Sequence[int]) -> list[int]:
        groups.append(list(items))
        if len(groups) == 1:
            entered.set()
            release.wait(10)
        return [i * 10 for i in items]

    group = GroupCommit(commit)
    results: dict[int, int] = {}

    def append(i: int) -> None:
        results[i] = group.append(i)

    first = threading.Thread(target=append, args=(0,))
    first.start()
    assert entered.wait(10)
    others = [threading.Thread(target=append, args=(i,)) for i in range(1, 8)]
    for t in others:
        t.start()
    _wait_until(lambda: len(group._waiting) == 7)
    release.set()
    for t in [first, *others]:
        t.join(10)
    # The control: the first entry was committed alone; the seven that waited share one commit.
    assert groups[0] == [0]
    assert sorted(groups[1]) == list(range(1, 8))
    assert len(groups) == 2
    assert results == {i: i * 10 for i in range(8)}


def test_a_failed_commit_fails_every_caller_of_its_group_and_not_the_next() -> None:
    calls: list[list[str]] = []

    def commit(items: Sequence[str]) -> list[str]:
        calls.append(list(items))
        if "bad" in items:
            raise RuntimeError("disk full")
        return list(items)

    group = GroupCommit(commit)
    with pytest.raises(RuntimeError, match="disk full"):
        group.append("bad")
    assert group.append("good") == "good"
    assert calls == [["bad"], ["good"]]


def test_threads_appending_at_once_keep_one_unbroken_chain(home: CharterHome) -> None:
    log = AuditLog(home, sinks=[])
    seqs: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        start.wait(10)
        for i in range(15):
            seq = _record(log, worker * 100 + i)
            with lock:
                seqs.append(seq)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(seqs) == list(range(1, 121))
    report = log.verify()
    assert report.ok, report.problem
    assert report.entries == 120


def test_processes_with_threads_append_one_unbroken_chain(
    home: CharterHome, worker_env: dict[str, str]
) -> None:
    AuditLog(home)
    script = (
        "import sys, threading\n"
        "from charter.auth.audit import AuditLog\n"
        "from charter.auth.home import CharterHome\n"
        "log = AuditLog(CharterHome(sys.argv[1]))\n"
        "def work(t):\n"
        "    for i in range(10):\n"
        "        log.record(actor='agent', subject='mona', action='x', args={'t': t, 'i': i}, outcome='ok')\n"
        "threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(home.path)], env=worker_env) for _ in range(3)
    ]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    report = AuditLog(home).verify()
    assert report.ok, report.problem
    assert report.entries == 120


def test_every_entry_whose_append_returned_survives_a_killed_process(
    home: CharterHome, worker_env: dict[str, str]
) -> None:
    AuditLog(home)
    # Four threads append without end and print each seq once `record` has returned; the process is
    # killed mid-stream, so some appends are inside a commit when it dies.
    script = (
        "import sys, threading\n"
        "from charter.auth.audit import AuditLog\n"
        "from charter.auth.home import CharterHome\n"
        "log = AuditLog(CharterHome(sys.argv[1]))\n"
        "out = threading.Lock()\n"
        "def work(t):\n"
        "    while True:\n"
        "        e = log.record(actor='agent', subject='mona', action='x', args={'t': t}, outcome='ok')\n"
        "        seq = e.seq\n"
        "        with out:\n"
        "            sys.stdout.write(f'{seq}\\n'); sys.stdout.flush()\n"
        "for t in range(4):\n"
        "    threading.Thread(target=work, args=(t,)).start()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(home.path)], env=worker_env, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    returned = [int(proc.stdout.readline()) for _ in range(40)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    log = AuditLog(home, sinks=[])
    with home.engine.connect() as conn:
        t = audit_chain_table
        committed = {int(s) for (s,) in conn.execute(select(t.c.seq).where(t.c.chain == log.chain))}
    assert set(returned) <= committed
    # The next append writes back whatever the file lost, and the chain holds.
    _record(log, -1)
    report = log.verify()
    assert report.ok, report.problem
    assert report.entries == max(committed) + 1

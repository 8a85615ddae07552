"""Worker processes sharing one home and database: budgets, approvals and table creation hold across them.

Each worker is a separate interpreter with its own engine and pool, released at the same moment, so
the only thing keeping them honest is the database (SQLite's file lock, Postgres' row locks).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

from charter.agents.approvals import ApprovalStore
from charter.auth.audit import AuditLog
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome

RELEASE = """
import json, sys
from charter.auth.home import CharterHome
home = CharterHome()
print("ready", flush=True)
sys.stdin.readline()
"""

SPEND = (
    RELEASE
    + """
from charter.auth.grants import GrantAuthority
from charter.schemas import GrantDenied
authority = GrantAuthority(home)
granted = 0
for grant_id in sys.argv[1:] * 8:
    try:
        authority.consume(grant_id)
        granted += 1
    except GrantDenied as denied:
        assert denied.details["reason"] in ("budget_exhausted",), denied.details
print(json.dumps({"granted": granted}))
"""
)

CONSUME = (
    RELEASE
    + """
from charter.agents.approvals import ApprovalStore
from charter.schemas import CharterError
try:
    ApprovalStore(home).consume(sys.argv[1], sys.argv[2])
    print(json.dumps({"ran": True}))
except CharterError as refused:
    print(json.dumps({"ran": False, "error": refused.code}))
"""
)

DECIDE = (
    RELEASE
    + """
from charter.agents.approvals import ApprovalStore
from charter.schemas import CharterError
store = ApprovalStore(home)
try:
    if sys.argv[2] == "approve":
        store.approve(sys.argv[1], by="mona")
    else:
        store.deny(sys.argv[1], by="mona", reason="not now")
    print(json.dumps({"decided": sys.argv[2]}))
except CharterError as refused:
    print(json.dumps({"decided": None, "error": refused.code}))
"""
)

CREATE_TABLES = (
    RELEASE
    + """
from charter.agents.approvals import ApprovalStore
from charter.agents.drafts import SQLDraftStore, SQLWriteLedger
from charter.auth.grants import GrantAuthority
from charter.auth.vault import Vault
for store in (GrantAuthority, ApprovalStore, SQLDraftStore, SQLWriteLedger, Vault):
    store(home)
print(json.dumps({"ok": True}))
"""
)


def run_workers(env: dict[str, str], scripts: list[tuple[str, list[str]]]) -> list[dict[str, object]]:
    """Start one process per (script, argv), release them together, return what each printed last."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for script, argv in scripts
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready", proc.communicate(timeout=30)[1]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=90) for proc in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), [err[-2000:] for _, err in outputs]
    return [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


def test_worker_processes_never_spend_more_than_the_budget(
    home: CharterHome, worker_env: dict[str, str]
) -> None:
    authority = GrantAuthority(home)
    grant = authority.issue("mona", "triage-bot", ("conn_1",), ("read",), budget=15)
    done = run_workers(worker_env, [(SPEND, [grant.id])] * 4)
    assert sum(int(str(d["granted"])) for d in done) == 15
    assert authority.get(grant.id).used == 15


def test_worker_processes_spending_sibling_grants_stop_at_the_parents_budget(
    home: CharterHome, worker_env: dict[str, str]
) -> None:
    authority = GrantAuthority(home)
    parent = authority.issue("mona", "triage-bot", ("conn_1",), ("read",), budget=12)
    first = authority.attenuate(parent.token, budget=10)
    second = authority.attenuate(parent.token, budget=10)
    # Workers alternate between the two children, so every one of them locks the shared parent row.
    done = run_workers(worker_env, [(SPEND, [first.id, second.id]), (SPEND, [second.id, first.id])] * 2)
    assert sum(int(str(d["granted"])) for d in done) == 12
    assert authority.get(parent.id).used == 12
    assert authority.get(first.id).used + authority.get(second.id).used == 12


def test_an_approval_is_consumed_by_exactly_one_worker_process(
    home: CharterHome, worker_env: dict[str, str]
) -> None:
    store = ApprovalStore(home)
    request = store.create(
        grant_id="grt_1", agent="triage-bot", subject="mona", tool="github_comment",
        args={"repo": "acme/web", "number": 3, "body": "hi"}, preview="comment on acme/web#3", reasons=(),
    )  # fmt: skip
    store.approve(request.id, by="mona")
    done = run_workers(worker_env, [(CONSUME, [request.id, request.payload_hash])] * 5)
    assert Counter(bool(d["ran"]) for d in done) == {True: 1, False: 4}
    assert {d.get("error") for d in done if not d["ran"]} == {"conflict"}
    assert store.get(request.id).consumed


def test_a_pending_approval_unconsumed_is_refused_to_every_worker(
    home: CharterHome, worker_env: dict[str, str]
) -> None:
    store = ApprovalStore(home)
    request = store.create(
        grant_id="grt_1", agent="triage-bot", subject="mona", tool="github_comment",
        args={"body": "hi"}, preview="comment", reasons=(),
    )  # fmt: skip
    # The control: without an approval nobody runs, so the race above really is about the approval.
    done = run_workers(worker_env, [(CONSUME, [request.id, request.payload_hash])] * 3)
    assert [d["ran"] for d in done] == [False] * 3
    assert {d["error"] for d in done} == {"approval_required"}


def test_racing_decisions_from_worker_processes_leave_exactly_one(
    home: CharterHome, worker_env: dict[str, str]
) -> None:
    store = ApprovalStore(home)
    request = store.create(
        grant_id="grt_1", agent="triage-bot", subject="mona", tool="github_comment",
        args={"body": "hi"}, preview="comment", reasons=(),
    )  # fmt: skip
    done = run_workers(worker_env, [(DECIDE, [request.id, "approve"]), (DECIDE, [request.id, "deny"])] * 3)
    winners = [d["decided"] for d in done if d["decided"]]
    assert len(winners) == 1
    assert store.get(request.id).status.value == {"approve": "approved", "deny": "denied"}[str(winners[0])]
    decisions = [e for e in AuditLog(home).entries() if e.action.startswith("approval.")]
    assert len(decisions) == 1


def test_workers_starting_together_on_an_empty_database_all_create_their_tables(
    home: CharterHome, worker_env: dict[str, str]
) -> None:
    done = run_workers(worker_env, [(CREATE_TABLES, [])] * 5)
    assert done == [{"ok": True}] * 5
    authority = GrantAuthority(home)
    assert authority.get(authority.issue("mona", "bot", ("conn_1",), ("read",)).id).used == 0

"""Bulk: a grant's writes of one action past its rate pause with a summary; one approval covers a batch.

Counts hold across threads and worker processes sharing the database (SQLite and Postgres), as
grant budgets do; each race has a control run showing the callers really overlap past the limit.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_workers import RELEASE, run_workers

from charter.agents.rates import Limit, WriteRates, limit_for
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.policy import BulkRules, Policy

LIMIT = Limit(writes=5, minutes=10, batch=7)
NOW = 1_700_000_000.0  # inside one 10-minute window for the whole test

ADMIT = (
    RELEASE
    + """
from charter.agents.rates import Limit, WriteRates
rates = WriteRates(home, clock=lambda: 1_700_000_000.0)
limit = Limit(int(sys.argv[2]), 10, 7)
ran = sum(rates.admit(sys.argv[1], "gmail_modify_labels", limit, "call") for _ in range(10))
print(json.dumps({"ran": ran}))
"""
)


def _race(rates: WriteRates, grant: str, limit: Limit, callers: int, each: int) -> int:
    start = threading.Barrier(callers)
    admitted: list[bool] = []
    lock = threading.Lock()

    def call() -> None:
        start.wait()
        for i in range(each):
            done = rates.admit(grant, "calendar_update_event", limit, f"moved event {i}")
            with lock:
                admitted.append(done)

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(admitted)


def test_threads_racing_past_the_rate_run_exactly_the_rate(home: CharterHome) -> None:
    rates = WriteRates(home, clock=lambda: NOW)
    assert _race(rates, "grt_a", LIMIT, callers=6, each=5) == LIMIT.writes
    # Control: with room for all, every racing call runs, so the callers did overlap.
    assert _race(rates, "grt_b", Limit(1000, 10, 1), callers=6, each=5) == 30


def test_worker_processes_never_run_more_than_the_rate_between_them(
    home: CharterHome, worker_env: dict[str, str]
) -> None:
    WriteRates(home)
    # Released together: three workers on a rate of 5, and a control with a generous rate that
    # lets every call of its worker through.
    done = run_workers(worker_env, [(ADMIT, ["grt_w", "5"])] * 3 + [(ADMIT, ["grt_x", "1000"])])
    assert sum(int(str(d["ran"])) for d in done[:3]) == 5
    assert done[3]["ran"] == 10


def test_a_new_window_starts_a_new_count_and_grants_and_actions_count_apart(home: CharterHome) -> None:
    now = [NOW]
    rates = WriteRates(home, clock=lambda: now[0])
    assert [rates.admit("grt_a", "x", LIMIT, "w") for _ in range(6)] == [True] * 5 + [False]
    assert rates.admit("grt_a", "y", LIMIT, "other action")
    assert rates.admit("grt_b", "x", LIMIT, "other grant")
    now[0] += 600
    assert rates.admit("grt_a", "x", LIMIT, "next window")


def test_an_approved_batch_covers_exactly_its_size_and_only_its_grant_and_action(home: CharterHome) -> None:
    rates = WriteRates(home, clock=lambda: NOW)
    for _ in range(5):
        rates.admit("grt_a", "x", LIMIT, "w")
    rates.hold("apr_1", "grt_a", "x", LIMIT.batch, 3600)
    assert not rates.admit("grt_a", "x", LIMIT, "before the approval is used")
    assert rates.open_batch("apr_1")
    assert not rates.open_batch("apr_1"), "a batch opens once"
    # The paused call itself was the first of the batch.
    assert [rates.admit("grt_a", "x", LIMIT, "w") for _ in range(7)] == [True] * 6 + [False]
    assert [rates.admit("grt_b", "x", LIMIT, "another grant") for _ in range(6)] == [True] * 5 + [False]
    assert rates.so_far("grt_a", "x", 10)[:2] == ["w", "w"]


def test_the_rate_comes_from_the_grant_then_the_policy_then_the_default(home: CharterHome) -> None:
    authority = GrantAuthority(home)
    plain = authority.issue("mona", "bot", ("c1",), ("read", "write"))
    tight = authority.issue("mona", "bot", ("c1",), ("read", "write"), write_rate=2)
    rules = Policy.from_dict({"bulk": {"writes": 4, "actions": {"gmail_*": 9}}}).bulk
    assert limit_for(rules, plain.claims, "calendar_update_event").writes == 4
    assert limit_for(rules, plain.claims, "gmail_modify_labels").writes == 9
    assert limit_for(rules, tight.claims, "gmail_modify_labels").writes == 2
    assert limit_for(BulkRules(), plain.claims, "x") == Limit(5, 10, 25)
    child = authority.attenuate(tight.token, agent="sub")
    assert child.claims.write_rate == 2


def test_a_bulk_setting_out_of_range_is_refused() -> None:
    from charter.schemas import ConfigurationError

    with pytest.raises(ConfigurationError, match="bulk"):
        Policy.from_dict({"bulk": {"writes": 0}})


def _label(kit: object, n: int) -> object:
    from charter.agents import Toolkit

    assert isinstance(kit, Toolkit)
    return kit.call("notes_label_note", {"repo": "acme/web", "number": 1, "label": f"l{n}"})


def test_the_call_past_the_rate_pauses_with_what_the_run_did_and_one_approval_covers_a_batch(
    env: Any,
) -> None:
    env.policy = Policy.from_dict({"bulk": {"writes": 3, "batch": 4}})
    grant = env.grant()
    kit = env.toolkit(grant.token)
    results = [_label(kit, n) for n in range(5)]
    assert [r.status for r in results] == ["ok"] * 3 + ["approval_required"] * 2
    paused = results[3].approval
    reasons = " ".join(paused.reasons)
    assert "already ran 3 time(s) in the last 10 minutes" in reasons
    assert '"label": "l0"' in reasons
    assert '"label": "l2"' in reasons
    assert "approves a batch: it and the next 3 notes_label_note call(s)" in reasons
    assert env.service.writes == [f"label:1:l{n}" for n in range(3)]

    env.approvals.approve(paused.approval_id, by="mona")
    assert kit.resume(paused.approval_id).ok
    # The batch covers three more calls (the fifth one again, and two new), then pauses again.
    after = [_label(kit, n).status for n in (4, 5, 6, 7)]
    assert after == ["ok", "ok", "ok", "approval_required"]
    assert len(env.service.writes) == 7


def test_a_batch_approved_for_one_grant_never_covers_another(env: Any) -> None:
    env.policy = Policy.from_dict({"bulk": {"writes": 1, "batch": 10}})
    first, second = env.toolkit(env.grant().token), env.toolkit(env.grant().token)
    assert [_label(first, n).status for n in range(2)] == ["ok", "approval_required"]
    assert _label(second, 0).status == "ok"
    paused = _label(first, 1).approval
    env.approvals.approve(paused.approval_id, by="mona")
    assert first.resume(paused.approval_id).ok
    assert _label(second, 1).status == "approval_required"
    assert _label(first, 2).status == "ok"

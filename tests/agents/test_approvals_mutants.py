"""Approvals (`charter.agents.approvals`), pinned where mutation testing found them loose.

Each test names the promise it holds: deadlines judged at their exact instant, the default
lifetimes, the newest open request found first, how a decider may say they were verified, what the
audit entry of a decision keeps, and every refusal's wording a person or an agent reads.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from test_approvals import ARGS, _create

from charter.agents.approvals import ApprovalAlreadyUsed, ApprovalStore, approvals_table, refusal
from charter.auth.audit import AuditLog
from charter.auth.home import CharterHome
from charter.schemas import (
    ApprovalRequest,
    ApprovalRequired,
    ApprovalStatus,
    Conflict,
    GrantDenied,
    NotFound,
    ValidationError,
    payload_hash,
)

if TYPE_CHECKING:
    from conftest import Env


def _refused(store: ApprovalStore, request: ApprovalRequest, given: str | None = None) -> Exception:
    with pytest.raises((GrantDenied, ApprovalRequired, ApprovalAlreadyUsed)) as exc:
        store.consume(request.id, given or request.payload_hash)
    return exc.value


# -- deadlines and lifetimes ------------------------------------------------------------------------


def test_a_request_waits_a_day_and_an_approval_an_hour_by_default(env: Env) -> None:
    request = _create(env.approvals)
    assert request.expires_at == env.clock.now + timedelta(hours=24)
    assert env.approvals.get(request.id).expires_at == request.expires_at
    approved = env.approvals.approve(request.id, by="mona")
    assert approved.expires_at == env.clock.now + timedelta(hours=1)


def test_a_pending_request_expires_at_its_deadline_exactly(env: Env) -> None:
    request = _create(env.approvals, ttl=timedelta(minutes=10))
    env.clock.advance(minutes=10, microseconds=-1)
    assert env.approvals.get(request.id).status is ApprovalStatus.PENDING  # control: just before
    env.clock.advance(microseconds=1)
    assert env.approvals.get(request.id).status is ApprovalStatus.EXPIRED


def test_an_approval_cannot_run_at_its_deadline(env: Env) -> None:
    first, second = _create(env.approvals), _create(env.approvals, args={"text": "other"})
    for request in (first, second):
        env.approvals.approve(request.id, by="mona", ttl=timedelta(minutes=5))
    env.clock.advance(minutes=5, microseconds=-1)
    assert env.approvals.consume(first.id, first.payload_hash).consumed  # control: just before
    env.clock.advance(microseconds=1)
    denial = _refused(env.approvals, second)
    assert isinstance(denial, GrantDenied)
    assert denial.details["reason"] == "approval_expired"


@pytest.mark.parametrize("ttl", [timedelta(0), timedelta(seconds=-1)])
def test_lifetimes_must_be_positive(env: Env, ttl: timedelta) -> None:
    with pytest.raises(ValidationError) as exc:
        ApprovalStore(env.home, clock=env.clock, audit=env.audit, approved_ttl=ttl)
    assert exc.value.message == "approved_ttl must be positive"
    request = _create(env.approvals)
    with pytest.raises(ValidationError) as exc:
        env.approvals.approve(request.id, by="mona", ttl=ttl)
    assert exc.value.message == "an approval's lifetime must be positive"
    assert env.approvals.get(request.id).status is ApprovalStatus.PENDING


def test_a_store_without_a_log_still_audits_its_decisions_on_its_clock(env: Env) -> None:
    store = ApprovalStore(env.home, clock=env.clock)
    request = _create(store)
    store.deny(request.id, by="mona")
    entry = env.audit.tail(1)[0]
    assert (entry.action, entry.at) == ("approval.deny", env.clock.now)


def test_decisions_go_to_the_log_the_store_is_given(env: Env, tmp_path: Path) -> None:
    elsewhere = AuditLog(CharterHome(tmp_path / "other"), clock=env.clock)
    store = ApprovalStore(env.home, clock=env.clock, audit=elsewhere)
    request = _create(store)
    before = len(list(env.audit.entries()))
    store.deny(request.id, by="mona")
    assert [e.action for e in elsewhere.tail(1)] == ["approval.deny"]
    assert len(list(env.audit.entries())) == before


# -- finding and listing ----------------------------------------------------------------------------


def test_the_newest_open_request_for_a_call_is_found_and_listed_first(env: Env) -> None:
    old = _create(env.approvals)
    env.clock.advance(minutes=1)
    new = _create(env.approvals)
    found = env.approvals.find_open("grt_1", "notes_post_note", old.payload_hash)
    assert found is not None
    assert found.id == new.id
    assert [r.id for r in env.approvals.list()] == [new.id, old.id]
    assert env.approvals.find_open("grt_2", "notes_post_note", old.payload_hash) is None
    assert env.approvals.find_open("grt_1", "notes_edit_note", old.payload_hash) is None


def test_requests_keep_their_arguments_and_reasons(env: Env) -> None:
    request = _create(env.approvals, args={"b": [1, {"c": None}], "a": "é"}, reasons=["one", "two"])
    kept = env.approvals.get(request.id)
    assert (kept.args, kept.reasons) == ({"b": [1, {"c": None}], "a": "é"}, ["one", "two"])
    assert kept.payload_hash == payload_hash("notes_post_note", {"a": "é", "b": [1, {"c": None}]})
    assert _create(env.approvals, payload_hash="h" * 64).payload_hash == "h" * 64


def test_an_unknown_request_is_not_found_with_where_to_look(env: Env) -> None:
    with pytest.raises(NotFound) as exc:
        env.approvals.get("apr_missing")
    assert exc.value.message == "no approval request 'apr_missing'; list them with `charter approvals list`"


# -- deciding ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "verified_by",
    # The longest credential id the proofs column holds is 247 characters (255 with `passkey:`).
    ["passkey:a", "passkey:" + "A_-9z" * 49 + "xy", "cli:tty", "cli:no-tty", "console:session", "none"],
)
def test_every_documented_verification_is_accepted_and_kept(env: Env, verified_by: str) -> None:
    request = _create(env.approvals)
    assert env.approvals.approve(request.id, by="mona", verified_by=verified_by).verified_by == verified_by
    assert env.audit.tail(1)[0].verified_by == verified_by


@pytest.mark.parametrize(
    "verified_by",
    ["passkey:", "passkey:" + "a" * 256, "passkey:a b", "passkey:a/", "cli:tty ", "cli", "None", ""],
)
def test_any_other_verification_is_refused_before_deciding(env: Env, verified_by: str) -> None:
    request = _create(env.approvals)
    with pytest.raises(ValidationError) as exc:
        env.approvals.approve(request.id, by="mona", verified_by=verified_by)
    assert exc.value.message == (
        f"unknown verification {verified_by!r}: passkey:<credential id>, cli:tty, cli:no-tty, "
        "console:session or none"
    )
    assert env.approvals.get(request.id).status is ApprovalStatus.PENDING


def test_a_decision_needs_a_name(env: Env) -> None:
    request = _create(env.approvals)
    with pytest.raises(ValidationError) as exc:
        env.approvals.deny(request.id, by="")
    assert exc.value.message == "say who decides: approvals and denials are recorded by name"


def test_a_denial_is_audited_with_its_reason_and_a_passkey_answer_is_kept(env: Env) -> None:
    denied = _create(env.approvals)
    env.approvals.deny(denied.id, by="mona", reason="not now", verified_by="cli:tty")
    entry = env.audit.tail(1)[0]
    assert (entry.actor, entry.action, entry.outcome, entry.subject) == (
        "person",
        "approval.deny",
        "ok",
        "mona",
    )
    assert (entry.agent, entry.grant_id, entry.approval_id, entry.approver) == (
        "triage-bot",
        "grt_1",
        denied.id,
        "mona",
    )
    assert (entry.reasons, entry.result_ref, entry.verified_by) == (
        ("not now",),
        "notes_post_note",
        "cli:tty",
    )
    assert env.approvals.get(denied.id).deny_reason == "not now"
    assert env.approvals.passkey_answer(denied.id) is None
    approved = _create(env.approvals)
    env.approvals.approve(approved.id, by="mona", verified_by="passkey:abc", passkey_answer='{"a": 1}')
    assert env.approvals.passkey_answer(approved.id) == '{"a": 1}'
    assert env.audit.tail(1)[0].reasons == ()
    plain = _create(env.approvals)
    env.approvals.deny(plain.id, by="mona")
    assert env.approvals.get(plain.id).deny_reason is None
    assert env.audit.tail(1)[0].reasons == ()


def test_a_second_decision_is_refused_with_what_happened(env: Env) -> None:
    denied = _create(env.approvals)
    env.approvals.deny(denied.id, by="mona")
    with pytest.raises(Conflict) as exc:
        env.approvals.approve(denied.id, by="hubot")
    assert exc.value.message == (
        f"approval {denied.id} was already denied by mona; a decision cannot be changed"
    )
    assert exc.value.details == {"status": "denied"}

    unanswered = _create(env.approvals, ttl=timedelta(minutes=1))
    approved = _create(env.approvals)
    env.approvals.approve(approved.id, by="mona", ttl=timedelta(minutes=1))
    deadline = env.clock.now + timedelta(minutes=1)
    env.clock.advance(minutes=2)
    with pytest.raises(Conflict) as exc:
        env.approvals.approve(unanswered.id, by="mona")
    assert exc.value.message == (
        f"approval {unanswered.id} expired at {deadline.isoformat()} before anyone decided; "
        "the agent must ask again"
    )
    assert exc.value.details == {"status": "expired"}
    with pytest.raises(Conflict) as exc:
        env.approvals.deny(approved.id, by="mona")
    assert exc.value.message == (
        f"approval {approved.id} was approved by mona but expired unused at {deadline.isoformat()}; "
        "the agent must ask again"
    )
    assert exc.value.details == {"status": "expired"}


# -- what the agent is told -------------------------------------------------------------------------


def test_each_refusal_to_run_says_why_and_what_to_do(env: Env) -> None:
    pending = _create(env.approvals)
    waiting = _refused(env.approvals, pending)
    assert isinstance(waiting, ApprovalRequired)
    assert waiting.message == (
        f"approval {pending.id} is still waiting for a person; call resume again after they approve"
    )
    assert waiting.details == {"approval_id": pending.id}

    denied = _create(env.approvals)
    env.approvals.deny(denied.id, by="mona", reason="too loud")
    no = _refused(env.approvals, denied)
    assert no.message == "a person denied this call: too loud. Do not retry it unchanged."
    assert no.details == {"reason": "approval_denied", "approval_id": denied.id}
    bare = _create(env.approvals)
    env.approvals.deny(bare.id, by="mona")
    assert _refused(env.approvals, bare).message == "a person denied this call. Do not retry it unchanged."

    approved = _create(env.approvals)
    env.approvals.approve(approved.id, by="mona")
    other = payload_hash("notes_post_note", {**ARGS, "text": "bye"})
    changed = _refused(env.approvals, approved, other)
    assert changed.message == (
        f"approval {approved.id} was given for a different payload; the change differs from what "
        "the person approved, so it was not run. Call the tool again to ask for a new approval."
    )
    assert changed.details == {"reason": "payload_changed", "approval_id": approved.id}
    env.approvals.consume(approved.id, approved.payload_hash)
    used = _refused(env.approvals, approved)
    assert isinstance(used, ApprovalAlreadyUsed)
    assert used.message == f"approval {approved.id} has already been used; its call runs only once"
    assert used.details == {"approval_id": approved.id}


def test_an_expired_request_or_approval_says_nothing_was_sent(env: Env) -> None:
    unanswered = _create(env.approvals, ttl=timedelta(minutes=1))
    given = _create(env.approvals)
    env.approvals.approve(given.id, by="mona", ttl=timedelta(minutes=1))
    deadline = env.clock.now + timedelta(minutes=1)
    env.clock.advance(minutes=2)
    late = _refused(env.approvals, unanswered)
    assert late.message == (
        f"approval {unanswered.id} expired before a person decided; call the tool again to ask again"
    )
    assert late.details == {"reason": "approval_expired", "approval_id": unanswered.id}
    unused = _refused(env.approvals, given)
    assert unused.message == (
        f"approval {given.id} was given but not used before it expired at {deadline.isoformat()}; "
        "nothing was sent. Call the tool again to ask the person again."
    )
    assert unused.details == {"reason": "approval_expired", "approval_id": given.id}


def test_refusal_judges_the_payload_only_of_an_unused_approval(env: Env) -> None:
    # A pending or denied request is refused for what it is, whatever payload is offered.
    pending = _create(env.approvals)
    assert isinstance(refusal(pending, "other"), ApprovalRequired)


def test_a_store_shows_which_home_it_keeps_and_nothing_else(env: Env) -> None:
    assert repr(env.approvals) == f"<ApprovalStore home={str(env.home.path)!r}>"


def test_running_one_approval_leaves_another_for_the_same_call_usable(env: Env) -> None:
    first, second = _create(env.approvals), _create(env.approvals)
    assert first.payload_hash == second.payload_hash  # the same call, held twice
    for request in (first, second):
        env.approvals.approve(request.id, by="mona")
    env.clock.advance(minutes=1)
    env.approvals.consume(first.id, first.payload_hash)
    assert not env.approvals.get(second.id).consumed
    assert env.approvals.consume(second.id, second.payload_hash).consumed
    # When each call ran is kept with its approval.
    with env.home.engine.connect() as conn:
        ran = dict(conn.execute(select(approvals_table.c.id, approvals_table.c.consumed_at)).all())
    assert ran == {first.id: env.clock.now, second.id: env.clock.now}


def test_an_overdue_request_is_never_found_open(env: Env) -> None:
    request = _create(env.approvals, ttl=timedelta(minutes=5))
    env.clock.advance(minutes=5)
    assert env.approvals.find_open("grt_1", "notes_post_note", request.payload_hash) is None


def test_a_request_id_is_recognisable_and_unguessable(env: Env) -> None:
    ids = {_create(env.approvals).id for _ in range(3)}
    assert len(ids) == 3
    # `apr_` and 16 URL-safe characters: 96 random bits.
    assert all(re.fullmatch(r"apr_[A-Za-z0-9_-]{16}", i) for i in ids), ids


def test_a_decided_or_used_request_keeps_its_status_past_its_deadline(env: Env) -> None:
    denied, used = _create(env.approvals), _create(env.approvals, args={"text": "other"})
    env.approvals.deny(denied.id, by="mona")
    env.approvals.approve(used.id, by="mona")
    env.approvals.consume(used.id, used.payload_hash)
    env.clock.advance(days=2)
    assert env.approvals.expire_due() == 0
    assert env.approvals.get(denied.id).status is ApprovalStatus.DENIED
    assert (env.approvals.get(used.id).status, env.approvals.get(used.id).consumed) == (
        ApprovalStatus.APPROVED,
        True,
    )

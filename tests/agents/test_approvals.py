"""Approvals: pending → approved / denied / expired, decided once, consumed once and only for its payload."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from charter.agents.approvals import ApprovalAlreadyUsed, ApprovalStore
from charter.auth.policy import Policy
from charter.schemas import (
    ApprovalRequest,
    ApprovalRequired,
    ApprovalStatus,
    ConfigurationError,
    Conflict,
    GrantDenied,
    payload_hash,
)

if TYPE_CHECKING:
    from conftest import Env

ARGS = {"repo": "acme/web", "text": "hello"}


def _create(store: ApprovalStore, **overrides: object) -> ApprovalRequest:
    args: dict[str, object] = {
        "grant_id": "grt_1",
        "agent": "triage-bot",
        "subject": "mona",
        "tool": "notes_post_note",
        "args": ARGS,
        "preview": "post hello",
        "reasons": ["approval required because notes_post_note is tagged external"],
    }
    args.update(overrides)
    return store.create(**args)  # type: ignore[arg-type]


def test_created_request_is_pending_and_bound_to_its_payload(env: Env) -> None:
    request = _create(env.approvals)
    assert request.status is ApprovalStatus.PENDING
    assert request.payload_hash == payload_hash("notes_post_note", ARGS)
    assert env.approvals.get(request.id) == request
    assert [r.id for r in env.approvals.list(status="pending")] == [request.id]


def test_approve_records_who_and_is_audited_as_the_person(env: Env) -> None:
    request = _create(env.approvals)
    approved = env.approvals.approve(request.id, by="mona")
    assert approved.status is ApprovalStatus.APPROVED
    assert approved.decided_by == "mona"
    entry = env.audit.tail(1)[0]
    assert entry.actor == "person"
    assert entry.action == "approval.approve"
    assert entry.approver == "mona"


def test_a_decision_cannot_be_changed(env: Env) -> None:
    request = _create(env.approvals)
    env.approvals.deny(request.id, by="mona", reason="no")
    with pytest.raises(Conflict, match="already denied by mona"):
        env.approvals.approve(request.id, by="mona")
    assert env.approvals.get(request.id).deny_reason == "no"


def test_expired_request_cannot_be_approved(env: Env) -> None:
    request = _create(env.approvals, ttl=timedelta(minutes=10))
    env.clock.advance(minutes=11)
    with pytest.raises(Conflict, match="expired"):
        env.approvals.approve(request.id, by="mona")
    assert env.approvals.get(request.id).status is ApprovalStatus.EXPIRED


def test_expire_sweep_marks_only_overdue_pending_requests(env: Env) -> None:
    old = _create(env.approvals, ttl=timedelta(minutes=5))
    fresh = _create(env.approvals, ttl=timedelta(hours=5))
    env.clock.advance(minutes=6)
    assert env.approvals.expire_due() == 1
    assert [r.id for r in env.approvals.list(status="expired")] == [old.id]
    assert env.approvals.get(fresh.id).status is ApprovalStatus.PENDING


def test_consume_needs_approval_and_the_same_payload(env: Env) -> None:
    request = _create(env.approvals)
    with pytest.raises(ApprovalRequired):
        env.approvals.consume(request.id, request.payload_hash)
    env.approvals.approve(request.id, by="mona")
    with pytest.raises(GrantDenied, match="different payload"):
        env.approvals.consume(request.id, payload_hash("notes_post_note", {**ARGS, "text": "bye"}))
    assert env.approvals.consume(request.id, request.payload_hash).consumed
    with pytest.raises(ApprovalAlreadyUsed):
        env.approvals.consume(request.id, request.payload_hash)


def test_racing_consumers_succeed_exactly_once(env: Env) -> None:
    request = _create(env.approvals)
    env.approvals.approve(request.id, by="mona")
    wins: list[bool] = []

    def consume() -> None:
        try:
            env.approvals.consume(request.id, request.payload_hash)
            wins.append(True)
        except ApprovalAlreadyUsed:
            wins.append(False)

    threads = [threading.Thread(target=consume) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_find_open_returns_pending_or_unused_approved_requests_only(env: Env) -> None:
    request = _create(env.approvals)
    assert env.approvals.find_open("grt_1", "notes_post_note", request.payload_hash) == request
    env.approvals.approve(request.id, by="mona")
    env.approvals.consume(request.id, request.payload_hash)
    assert env.approvals.find_open("grt_1", "notes_post_note", request.payload_hash) is None


def test_grant_issue_and_revoke_are_audited_as_the_persons_actions(env: Env) -> None:
    issued = env.grant()
    env.authority.revoke(issued.id)
    issue, revoke = env.audit.tail(2)
    assert (issue.actor, issue.action, issue.grant_id) == ("person", "grant.issue", issued.id)
    assert (revoke.actor, revoke.action, revoke.subject) == ("person", "grant.revoke", "mona")
    assert env.audit.verify().ok


def test_an_approval_expires_unused_after_its_lifetime(env: Env) -> None:
    store = ApprovalStore(env.home, clock=env.clock, audit=env.audit, approved_ttl=timedelta(minutes=30))
    request = _create(store)
    approved = store.approve(request.id, by="mona")
    assert approved.expires_at == env.clock.now + timedelta(minutes=30)
    env.clock.advance(minutes=31)
    with pytest.raises(GrantDenied) as exc:
        store.consume(request.id, request.payload_hash)
    assert exc.value.details["reason"] == "approval_expired"
    assert "was given but not used" in exc.value.message
    assert store.get(request.id).status is ApprovalStatus.EXPIRED
    assert store.find_open("grt_1", "notes_post_note", request.payload_hash) is None


def test_an_approval_is_usable_within_its_lifetime(env: Env) -> None:
    # Control: the same approval consumed a minute before its deadline runs.
    store = ApprovalStore(env.home, clock=env.clock, audit=env.audit, approved_ttl=timedelta(minutes=30))
    request = _create(store)
    store.approve(request.id, by="mona")
    env.clock.advance(minutes=29)
    assert store.consume(request.id, request.payload_hash).consumed


def test_a_long_pending_deadline_does_not_stretch_an_approval(env: Env) -> None:
    request = _create(env.approvals, ttl=timedelta(days=7))
    approved = env.approvals.approve(request.id, by="mona", ttl=timedelta(minutes=5))
    assert approved.expires_at == env.clock.now + timedelta(minutes=5)
    env.clock.advance(minutes=6)
    assert env.approvals.expire_due() == 1
    assert env.approvals.get(request.id).status is ApprovalStatus.EXPIRED


def test_resume_after_the_approval_expired_is_a_typed_refusal(env: Env) -> None:
    env.policy = Policy.from_dict({"approved_ttl_minutes": 10})
    kit = env.toolkit(env.grant().token, approvals=None)
    paused = kit.call("notes_post_note", ARGS)
    assert paused.approval is not None
    approvals = ApprovalStore(env.home, clock=env.clock, audit=env.audit)
    approvals.approve(paused.approval.approval_id, by="mona", ttl=env.policy.approved_ttl)
    env.clock.advance(minutes=11)
    result = kit.resume(paused.approval.approval_id)
    assert result.status == "error"
    assert result.error is not None
    assert (result.error["error"], result.error["details"]["reason"]) == ("grant_denied", "approval_expired")
    assert env.service.writes == []
    # Asking again makes a new request rather than riding on the expired one.
    again = kit.call("notes_post_note", ARGS)
    assert again.status == "approval_required"
    assert again.approval is not None
    assert again.approval.approval_id != paused.approval.approval_id


def test_policy_reads_the_approval_lifetime() -> None:
    assert Policy().approved_ttl == timedelta(hours=1)
    assert Policy.from_dict({"approved_ttl_minutes": 5}).approved_ttl == timedelta(minutes=5)
    with pytest.raises(ConfigurationError):
        Policy.from_dict({"approved_ttl_minutes": 0})

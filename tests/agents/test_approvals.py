"""Approvals: pending → approved / denied / expired, decided once, consumed once and only for its payload."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from charter.agents.approvals import ApprovalAlreadyUsed, ApprovalStore
from charter.schemas import (
    ApprovalRequest,
    ApprovalRequired,
    ApprovalStatus,
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

"""`charter approvals`: the person reviews a paused call's full preview, then approves or denies it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from charter.cli.context import Local
from charter.schemas import ApprovalRequest, ApprovalStatus

if TYPE_CHECKING:
    from conftest import Run

PREVIEW = (
    "Comment on acme/web#5 (Password reset email never arrives)\n\n"
    "Triage: confirmed bug.\n---\nPosted by agent"
)


@pytest.fixture
def paused(local_home: Local) -> ApprovalRequest:
    return local_home.approvals.create(
        grant_id="grt_test",
        agent="triage-bot",
        subject="mona",
        tool="github_commit_draft",
        args={"draft_id": "drf_1"},
        preview=PREVIEW,
        reasons=["approval required because github_comment is tagged external"],
    )


def test_list_shows_pending_requests_with_agent_tool_preview_and_reason(
    run: Run, paused: ApprovalRequest
) -> None:
    ran = run("approvals", "list")
    assert ran.code == 0, ran.err
    for expected in (
        paused.id,
        "triage-bot",
        "github_commit_draft",
        "Comment on acme/web#5",
        "tagged external",
    ):
        assert expected in ran.text
    assert "ago" in ran.text


def test_approve_shows_the_full_preview_and_records_the_person(
    run: Run, local_home: Local, paused: ApprovalRequest
) -> None:
    ran = run("approvals", "approve", paused.id, "--yes")
    assert ran.code == 0, ran.err
    assert "Triage: confirmed bug." in ran.out
    assert "Posted by agent" in ran.out
    decided = local_home.approvals.get(paused.id)
    assert decided.status is ApprovalStatus.APPROVED
    assert decided.decided_by == "mona"
    entry = local_home.audit.tail(1)[0]
    assert (entry.actor, entry.action, entry.approval_id, entry.approver) == (
        "person", "approval.approve", paused.id, "mona",
    )  # fmt: skip


def test_approve_asks_first_and_a_no_leaves_the_request_pending(
    run: Run, local_home: Local, paused: ApprovalRequest
) -> None:
    ran = run("approvals", "approve", paused.id, stdin="n\n")
    assert ran.code == 1
    assert "Triage: confirmed bug." in ran.out
    assert ran.err.startswith("error[aborted]: ")
    assert local_home.approvals.get(paused.id).status is ApprovalStatus.PENDING

    yes = run("approvals", "approve", paused.id, "--by", "mona-admin", stdin="y\n")
    assert yes.code == 0, yes.err
    assert local_home.approvals.get(paused.id).decided_by == "mona-admin"


def test_deny_records_the_reason_and_a_decision_cannot_be_changed(
    run: Run, local_home: Local, paused: ApprovalRequest
) -> None:
    ran = run("approvals", "deny", paused.id, "--reason", "not before the release")
    assert ran.code == 0, ran.err
    decided = local_home.approvals.get(paused.id)
    assert decided.status is ApprovalStatus.DENIED
    assert decided.deny_reason == "not before the release"
    entry = local_home.audit.tail(1)[0]
    assert (entry.actor, entry.action) == ("person", "approval.deny")

    again = run("approvals", "approve", paused.id, "--yes")
    assert again.code == 1
    assert again.err.startswith(f"error[conflict]: approval {paused.id} was already denied")
    assert run("approvals", "list").text == "No pending approval requests."
    assert "denied" in run("approvals", "list", "--status", "all").text


def test_an_unknown_request_is_one_coded_line(run: Run) -> None:
    ran = run("approvals", "approve", "apr_nope", "--yes")
    assert ran.code == 1
    assert ran.err.startswith("error[not_found]: no approval request 'apr_nope'")
    assert ran.err.count("\n") == 1

"""`charter approvals`: the person reviews a paused call's full preview, then approves or denies it."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from charter.auth.grants import IssuedGrant
from charter.cli.context import Local
from charter.schemas import ApprovalRequest, ApprovalStatus

if TYPE_CHECKING:
    from conftest import Run

PREVIEW = (
    "Comment on acme/web#5 (Password reset email never arrives)\n\n"
    "Triage: confirmed bug.\n---\nPosted by agent"
)


@pytest.fixture
def grant(local_home: Local) -> IssuedGrant:
    return local_home.grants.issue("mona", "triage-bot", ("github-mona",), ("read", "draft", "write"))


@pytest.fixture
def paused(local_home: Local, grant: IssuedGrant) -> ApprovalRequest:
    return local_home.approvals.create(
        grant_id=grant.id,
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


def test_the_panel_shows_the_requests_and_the_grants_expiry(run: Run, paused: ApprovalRequest) -> None:
    ran = run("approvals", "approve", paused.id, "--yes")
    assert ran.code == 0, ran.err
    assert "request expires in" in ran.out
    assert f"grant {paused.grant_id} (expires in 8h)" in ran.out
    assert "at the latest" in ran.out


def test_a_call_whose_grant_was_revoked_cannot_be_approved(
    run: Run, local_home: Local, grant: IssuedGrant, paused: ApprovalRequest
) -> None:
    local_home.grants.revoke(grant.id)
    ran = run("approvals", "approve", paused.id, "--yes")
    assert ran.code == 1
    expected = f"error[conflict]: cannot approve {paused.id}: its grant {grant.id} was revoked"
    assert ran.err.startswith(expected)
    assert "charter approvals deny" in ran.err
    assert local_home.approvals.get(paused.id).status is ApprovalStatus.PENDING


def test_a_call_whose_grant_expired_cannot_be_approved(run: Run, local_home: Local) -> None:
    short = local_home.grants.issue(
        "mona", "triage-bot", ("github-mona",), ("read",), ttl=timedelta(seconds=1)
    )
    request = local_home.approvals.create(
        grant_id=short.id, agent="triage-bot", subject="mona", tool="github_comment",
        args={}, preview="p", reasons=["r"],
    )  # fmt: skip
    time.sleep(1.1)
    ran = run("approvals", "approve", request.id, "--yes")
    assert ran.code == 1
    assert f"its grant {short.id} has expired" in ran.err
    assert local_home.approvals.get(request.id).status is ApprovalStatus.PENDING
    # Control: the same request under a live grant is approved (the refusal is the grant's expiry).
    live = local_home.grants.issue("mona", "triage-bot", ("github-mona",), ("read",))
    other = local_home.approvals.create(
        grant_id=live.id, agent="triage-bot", subject="mona", tool="github_comment",
        args={}, preview="p", reasons=["r"],
    )  # fmt: skip
    assert run("approvals", "approve", other.id, "--yes").code == 0


def test_a_call_whose_grant_was_revoked_can_still_be_denied(
    run: Run, local_home: Local, grant: IssuedGrant, paused: ApprovalRequest
) -> None:
    local_home.grants.revoke(grant.id)
    ran = run("approvals", "deny", paused.id, "--reason", "revoked anyway")
    assert ran.code == 0, ran.err
    assert f"grant {grant.id} (expires in" in ran.text
    assert local_home.approvals.get(paused.id).status is ApprovalStatus.DENIED


def test_list_and_approve_say_a_bulk_pause_is_one_decision_for_a_batch(
    run: Run, local_home: Local, grant: IssuedGrant, paused: ApprovalRequest
) -> None:
    from charter.agents.rates import Limit, WriteRates, pause_reasons

    limit = Limit(writes=2, minutes=10, batch=6)
    done = ['{"label": "bug-1"}', '{"label": "bug-2"}']
    bulk = local_home.approvals.create(
        grant_id=grant.id,
        agent="triage-bot",
        subject="mona",
        tool="github_label_issue",
        args={"label": "bug-3"},
        preview="Label acme/web#3 bug-3",
        reasons=list(pause_reasons("github_label_issue", limit, done)),
    )
    WriteRates(local_home.home).hold(bulk.id, grant.id, "github_label_issue", limit.batch, 600)
    listed = run("approvals", "list")
    assert listed.code == 0, listed.err
    text = " ".join(listed.text.split())
    assert "batch" in text
    assert "next 5 github_label_issue write(s)" in text
    assert "so far the run did" in text
    assert "bug-2" in text
    # The control: the plain pause listed with it is not called a batch.
    assert text.count("one decision approves") == 1
    shown = run("approvals", "approve", bulk.id, "--yes")
    assert shown.code == 0, shown.err
    assert "next 5 github_label_issue write(s)" in " ".join(shown.text.split())


def test_list_as_json_gives_each_request_whole_for_scripts(
    run: Run, local_home: Local, paused: ApprovalRequest
) -> None:
    [listed] = json.loads(run("approvals", "list", "--json").out)
    assert (listed["id"], listed["tool"], listed["status"]) == (paused.id, "github_commit_draft", "pending")
    assert listed["preview"] == PREVIEW  # whole, where the table shows an excerpt
    assert listed["args"] == {"draft_id": "drf_1"}
    local_home.approvals.deny(paused.id, by="mona")
    assert json.loads(run("approvals", "list", "--json").out) == []
    [decided] = json.loads(run("approvals", "list", "--status", "all", "--json").out)
    assert (decided["status"], decided["decided_by"]) == ("denied", "mona")

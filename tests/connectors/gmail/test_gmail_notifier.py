"""The mail notifier: a waiting approval reaches the person by their own Gmail, once, as a link only."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

from charter.agents.notifiers import GmailNotifier, Notice
from charter.connectors.gmail import GmailConnector
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import ApprovalRequest, utcnow

SECRET_IN_PAYLOAD = "ghp_PayloadSecretThatMustNotBeMailed0123"


def test_a_notice_is_mailed_to_the_person_once_with_a_link_and_no_payload(
    gmail: GmailConnector, gsb: GoogleSandbox
) -> None:
    now = utcnow()
    request = ApprovalRequest(
        id="apr_mail1", grant_id="grt_1", agent="triage-bot", subject="mona", tool="github_commit_draft",
        args={"body": SECRET_IN_PAYLOAD}, payload_hash="0" * 64, preview=f"Comment: {SECRET_IN_PAYLOAD}",
        reasons=["tagged external"], created_at=now, expires_at=now + timedelta(hours=1),
    )  # fmt: skip
    notice = Notice.of(request, "http://localhost:8770/approvals", "waiting")
    notifier = GmailNotifier(gmail, "mona@acme.com")
    notifier.send(notice)
    notifier.send(notice)  # a retried notice is the same mail
    [sent] = gsb.state.gmail.sent
    assert sent.to == ("mona@acme.com",)
    assert "triage-bot" in sent.subject
    parsed = message_from_bytes(sent.raw, policy=policy.default)
    body = parsed.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "http://localhost:8770/approvals" in text
    assert "apr_mail1" in text
    assert SECRET_IN_PAYLOAD not in text
    assert SECRET_IN_PAYLOAD.encode() not in sent.raw

"""Sending exactly once, labels and trash, observed through the sandbox's mailbox."""

from __future__ import annotations

import pytest

from charter.connectors.base import Attribution
from charter.connectors.gmail import GmailConnector, ModifyLabels, NewMessage, SendDraft, TrashMessage
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import ValidationError

AGENT = Attribution(agent="triage-bot", grant_id="grt_abc123")


def inbox_message(gsb: GoogleSandbox, without: str = "") -> str:
    box = gsb.state.gmail
    return next(
        m.id
        for m in box.messages.values()
        if "INBOX" in m.label_ids and (not without or without not in m.label_ids)
    )


def test_a_direct_send_reaches_everyone_and_names_the_agent_and_grant(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    change = SendDraft(
        to=["lee@acme.com"], cc=["priya@acme.com"], bcc=["sam@acme.com"], subject="Hi", body="Yo"
    )
    result = gmail.write(change, attribution=AGENT)
    [sent] = gsb.state.gmail.sent
    assert sent.recipients == ("lee@acme.com", "priya@acme.com", "sam@acme.com")
    assert sent.header("X-Charter-Agent") == "triage-bot; grant=grt_abc123"
    assert result.id == sent.message_id
    assert result.summary == f"sent message {sent.message_id} to 3 recipients"


def test_a_lost_answer_to_the_send_of_a_draft_does_not_send_twice(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    draft = gmail.draft(NewMessage(to=["dana@partner.example"], subject="Once", body="Only once."))
    gsb.faults.drop_next(1, method="POST", path="/gmail/v1/users/me/drafts/send", when="after")
    result = gmail.write(draft.id)
    assert [s.subject for s in gsb.state.gmail.sent] == ["Once"]
    assert "answer to the first attempt was lost" in result.summary
    assert gsb.requests.count("POST", "/gmail/v1/users/me/drafts/send") == 1


def test_a_lost_answer_to_a_direct_send_does_not_send_twice(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    gsb.faults.drop_next(1, method="POST", path="/gmail/v1/users/me/drafts/send", when="after")
    gmail.write(SendDraft(to=["dana@partner.example"], subject="Direct once", body="."))
    assert [s.subject for s in gsb.state.gmail.sent] == ["Direct once"]


def test_a_server_error_on_send_is_retried_and_sends_once(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    draft = gmail.draft(NewMessage(to=["dana@partner.example"], subject="Retry", body="."))
    gsb.faults.fail_next(1, status=503, method="POST", path="/gmail/v1/users/me/drafts/send")
    result = gmail.write(draft.id)
    assert [s.subject for s in gsb.state.gmail.sent] == ["Retry"]
    assert result.id == gsb.state.gmail.sent[0].message_id


def test_repeating_the_idempotency_key_sends_nothing_more(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    change = SendDraft(to=["lee@acme.com"], subject="Key", body=".")
    first = gmail.write(change, idempotency_key="k-1")
    again = gmail.write(change, idempotency_key="k-1")
    assert again.replayed
    assert again.id == first.id
    assert len(gsb.state.gmail.sent) == 1


def test_a_reply_cannot_be_sent_without_its_reviewed_draft(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    gsb.requests.clear()
    with pytest.raises(ValidationError, match="draft_reply"):
        gmail.write(SendDraft(to=["lee@acme.com"], message_id=inbox_message(gsb), body="."))
    assert len(gsb.requests) == 0


def test_labels_are_changed_by_name(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    message = inbox_message(gsb, without="Label_2")
    partners = gsb.state.gmail.label_by_name("Partners")
    assert partners is not None
    gmail.write(ModifyLabels(message_id=message, add=["partners"], remove=["INBOX"]))
    labels = gsb.state.gmail.messages[message].label_ids
    assert partners.id in labels
    assert "INBOX" not in labels


def test_an_unknown_label_is_refused_naming_the_ones_there_are(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    message = inbox_message(gsb)
    with pytest.raises(ValidationError, match="Partners"):
        gmail.write(ModifyLabels(message_id=message, add=["Nope"]))
    assert gsb.requests.count("POST", f"/gmail/v1/users/me/messages/{message}/modify") == 0


def test_trash_is_refused_as_a_label_change() -> None:
    with pytest.raises(ValueError, match="trash_message"):
        ModifyLabels(message_id="abc", add=["TRASH"])


def test_trash_moves_the_message_to_the_trash(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    message = inbox_message(gsb)
    result = gmail.write(TrashMessage(message_id=message))
    assert "TRASH" in gsb.state.gmail.messages[message].label_ids
    assert "Trash" in result.summary


def test_the_actions_carry_the_risks_policy_weighs() -> None:
    actions = GmailConnector.actions
    assert actions["send_draft"].risks == {"external"}
    assert (actions["send_draft"].reach, actions["draft_message"].reach) == ("outsiders", "person")
    assert actions["trash_message"].risks == {"destructive", "hides"}
    # Archiving or marking read hides mail from the person; only the person sees it happen.
    assert (actions["modify_labels"].risks, actions["modify_labels"].reach) == ({"hides"}, "person")
    assert actions["draft_message"].commits == "send_draft"
    assert actions["draft_reply"].commits == "send_draft"

"""Native Gmail drafts: new messages and replies keep their thread, headers, Cc and Bcc to the end."""

from __future__ import annotations

import base64
from email import message_from_bytes
from email.message import Message as EmailMessage

import pytest

from charter.connectors.base import Attribution
from charter.connectors.gmail import (
    GetMessage,
    GetThread,
    GmailConnector,
    NewMessage,
    ReplyMessage,
    SearchMessages,
)
from charter.connectors.gmail.mime import Outgoing, build_raw
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import Conflict

AGENT = Attribution(agent="triage-bot", grant_id="grt_abc123")


def draft_raw(gmail: GmailConnector, draft_id: str) -> EmailMessage:
    """The draft as Gmail holds it, read back through the API."""
    data = gmail.users.drafts().get(userId="me", id=draft_id, format="raw").execute()
    return message_from_bytes(base64.urlsafe_b64decode(data["message"]["raw"] + "=="))


def original_message(gmail: GmailConnector) -> str:
    [found] = gmail.read(SearchMessages(query='subject:"Contract renewal"', page_size=1)).items
    return found.id


def test_a_new_draft_keeps_every_recipient_and_names_the_agent(gmail: GmailConnector) -> None:
    change = NewMessage(
        to=["dana@partner.example"], cc=["lee@acme.com"], bcc=["audit@acme.com"], subject="Terms", body="Hi."
    )
    draft = gmail.draft(change, attribution=AGENT)
    raw = draft_raw(gmail, str(draft.native_ref))
    assert (raw["To"], raw["Cc"], raw["Bcc"]) == ("dana@partner.example", "lee@acme.com", "audit@acme.com")
    assert raw["X-Charter-Agent"] == "triage-bot; grant=grt_abc123"
    assert draft.location == "native"
    assert "Bcc: audit@acme.com" in draft.preview


def test_a_draft_is_not_sent(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    gmail.draft(NewMessage(to=["dana@partner.example"], subject="Not yet", body="Draft only."))
    assert gsb.state.gmail.sent == []


def test_a_reply_draft_keeps_the_thread_and_its_references(gmail: GmailConnector) -> None:
    original = gmail.read(GetMessage(message_id=original_message(gmail)))
    change = ReplyMessage(
        message_id=original.id, to=["dana@partner.example"], cc=["legal@partner.example"], body="Agreed."
    )
    draft = gmail.draft(change, attribution=AGENT)
    stored = gmail.users.drafts().get(userId="me", id=draft.native_ref, format="full").execute()
    assert stored["message"]["threadId"] == original.thread_id
    raw = draft_raw(gmail, str(draft.native_ref))
    assert raw["Subject"] == "Re: Contract renewal: partner agreement"
    assert raw["In-Reply-To"] == original.message_id_header
    assert original.message_id_header in raw["References"].split()
    assert raw["Cc"] == "legal@partner.example"


def test_a_reply_sent_from_its_draft_arrives_in_the_thread_with_cc_and_bcc(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    original = gmail.read(GetMessage(message_id=original_message(gmail)))
    change = ReplyMessage(
        message_id=original.id,
        to=["dana@partner.example"],
        cc=["legal@partner.example"],
        bcc=["archive@acme.com"],
        body="Signed copy attached soon.",
    )
    draft = gmail.draft(change, attribution=AGENT)
    result = gmail.write(draft.id)
    [sent] = gsb.state.gmail.sent
    assert sent.thread_id == original.thread_id
    assert (sent.to, sent.cc, sent.bcc) == (
        ("dana@partner.example",),
        ("legal@partner.example",),
        ("archive@acme.com",),
    )
    assert sent.header("X-Charter-Agent") == "triage-bot; grant=grt_abc123"
    assert sent.header("In-Reply-To") == original.message_id_header
    read_back = gmail.read(GetMessage(message_id=result.id))
    assert read_back.bcc == ["archive@acme.com"]
    assert read_back.references.split()[-1] == original.message_id_header
    thread = gmail.read(GetThread(thread_id=original.thread_id))
    assert thread.messages[-1].id == result.id


def test_an_html_body_is_sent_beside_the_text(gmail: GmailConnector) -> None:
    change = NewMessage(
        to=["lee@acme.com"], subject="Agenda", body="1. Budget", html="<ol><li>Budget</li></ol>"
    )
    result = gmail.write(gmail.draft(change).id)
    message = gmail.read(GetMessage(message_id=result.id))
    assert message.text.strip() == "1. Budget"
    assert message.html is not None
    assert "<li>Budget</li>" in message.html


def test_a_draft_edited_in_gmail_after_review_is_not_sent(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    draft = gmail.draft(NewMessage(to=["lee@acme.com"], subject="Numbers", body="Q3 is fine."))
    edited = Outgoing(
        sender="mona@acme.com", to=["someone@else.example"], subject="Numbers", text="Q3 is fine."
    )
    body = {"message": {"raw": build_raw(edited)}}
    gmail.users.drafts().update(userId="me", id=draft.native_ref, body=body).execute()
    with pytest.raises(Conflict, match="changed after it was reviewed"):
        gmail.write(draft.id)
    assert gsb.state.gmail.sent == []


def test_a_draft_deleted_in_gmail_is_not_sent(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    draft = gmail.draft(NewMessage(to=["lee@acme.com"], subject="Never mind", body="."))
    gmail.users.drafts().delete(userId="me", id=draft.native_ref).execute()
    with pytest.raises(Conflict, match="deleted or sent in Gmail"):
        gmail.write(draft.id)
    assert gsb.state.gmail.sent == []

"""A reviewed Gmail draft is sent only as reviewed: any edit of a header, a part or an attachment stops it.

Each edit is made the way anyone holding the compose scope could make it: drafts.update through the
official client, on the sandbox. Controls prove the check is not merely strict: an untouched draft,
and one Gmail-style re-encoded (new boundary, other transfer encoding, Date and Message-ID
stamped), are sent.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.connectors.base import Attribution
from charter.connectors.gmail import GmailConnector, NewMessage
from charter.connectors.gmail.digest import message_digest
from charter.connectors.gmail.mime import Outgoing, build_raw
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import Conflict, Draft

AGENT = Attribution(agent="triage-bot", grant_id="grt_abc123")
REVIEWED = NewMessage(
    to=["lee@acme.com"],
    subject="Numbers",
    body="Q3 is fine.",
    html="<p>Q3 is <b>fine</b>.</p>",
)
Edit = Callable[[EmailMessage], None]


def _raw_of(gmail: GmailConnector, draft_id: str) -> EmailMessage:
    data = gmail.users.drafts().get(userId="me", id=draft_id, format="raw").execute()
    raw = base64.urlsafe_b64decode(data["message"]["raw"] + "==")
    message = message_from_bytes(raw, policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    return message


def _edit(gmail: GmailConnector, draft: Draft, edit: Edit) -> None:
    """Edit the native draft in Gmail, through the API, the way another client could."""
    message = _raw_of(gmail, str(draft.native_ref))
    edit(message)
    raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
    gmail.users.drafts().update(userId="me", id=draft.native_ref, body={"message": {"raw": raw}}).execute()


def _html_part(message: EmailMessage) -> EmailMessage:
    part = message.get_body(preferencelist=("html",))
    assert isinstance(part, EmailMessage)
    return part


def _edit_html(message: EmailMessage) -> None:
    _html_part(message).set_content('<p>Q3 is fine. <a href="https://evil.example">Invoice</a></p>', "html")


def _add_reply_to(message: EmailMessage) -> None:
    message["Reply-To"] = "attacker@evil.example"


def _add_attachment(message: EmailMessage) -> None:
    message.add_attachment(b"%PDF-1.4 payload", maintype="application", subtype="pdf", filename="invoice.pdf")


def _second_to(message: EmailMessage) -> None:
    # A second To header, which Python's own policy would refuse to add: appended raw.
    message.set_raw("To", "outsider@evil.example")


def _change_sender_name(message: EmailMessage) -> None:
    del message["From"]
    message["From"] = "The CEO <mona@acme.com>"


def _add_sender(message: EmailMessage) -> None:
    message["Sender"] = "attacker@evil.example"


def _drop_attribution(message: EmailMessage) -> None:
    del message["X-Charter-Agent"]


def _thread_elsewhere(message: EmailMessage) -> None:
    message["In-Reply-To"] = "<other-thread@acme.com>"
    message["References"] = "<other-thread@acme.com>"


def _edit_text(message: EmailMessage) -> None:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    part.set_content("Q3 is fine. Wire the money to the new account.")


def _html_only_in_text_part(message: EmailMessage) -> None:
    # The same words in both parts, but the HTML part now hides a tracking image.
    _html_part(message).set_content('<p>Q3 is <b>fine</b>.</p><img src="https://evil.example/t.gif">', "html")


def _subject_bytes_differ(message: EmailMessage) -> None:
    del message["Subject"]
    message["Subject"] = "Numbers (final)"


EDITS: dict[str, Edit] = {
    "html": _edit_html,
    "reply-to": _add_reply_to,
    "attachment": _add_attachment,
    "second-to": _second_to,
    "from-display-name": _change_sender_name,
    "sender": _add_sender,
    "attribution-removed": _drop_attribution,
    "thread": _thread_elsewhere,
    "text": _edit_text,
    "hidden-image": _html_only_in_text_part,
    "subject": _subject_bytes_differ,
}


@pytest.mark.parametrize("edit", list(EDITS.values()), ids=list(EDITS))
def test_a_draft_edited_after_review_is_not_sent(
    gsb: GoogleSandbox, gmail: GmailConnector, edit: Edit
) -> None:
    draft = gmail.draft(REVIEWED, attribution=AGENT)
    _edit(gmail, draft, edit)
    with pytest.raises(Conflict, match="changed after it was reviewed"):
        gmail.write(draft.id)
    assert gsb.state.gmail.sent == []


def test_an_untouched_draft_is_sent(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    draft = gmail.draft(REVIEWED, attribution=AGENT)
    assert draft.native_digest is not None
    held = _raw_of(gmail, str(draft.native_ref)).as_bytes()
    assert draft.native_digest == message_digest(base64.urlsafe_b64encode(held).decode())
    gmail.write(draft.id)
    assert len(gsb.state.gmail.sent) == 1


def _reencode(message: EmailMessage) -> None:
    """What a mail system may do without changing what is delivered."""
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain="mail.gmail.com")
    for part in message.walk():
        if part.is_multipart():
            part.set_boundary("=====other-boundary-" + str(id(part)))
        elif part.get_content_maintype() == "text":
            text = part.get_content()
            part.set_content(text, subtype=part.get_content_subtype(), cte="base64")


def test_a_draft_re_encoded_without_a_change_is_still_sent(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    # Control: the attacks above are caught for what they change, not for any difference in bytes.
    draft = gmail.draft(REVIEWED, attribution=AGENT)
    _edit(gmail, draft, _reencode)
    gmail.write(draft.id)
    [sent] = gsb.state.gmail.sent
    assert sent.header("X-Charter-Agent") == "triage-bot; grant=grt_abc123"


def test_a_draft_from_before_the_binding_is_not_sent(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    draft = gmail.draft(REVIEWED, attribution=AGENT)
    gmail.drafts.save(draft.model_copy(update={"native_digest": None}))
    with pytest.raises(Conflict, match="Draft the message again"):
        gmail.write(draft.id)
    assert gsb.state.gmail.sent == []


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85"))


@given(text=TEXT, html=TEXT, extra=TEXT.filter(lambda t: t.strip() != ""))
def test_the_digest_ignores_encoding_and_sees_any_change_of_content(text: str, html: str, extra: str) -> None:
    mail = Outgoing(sender="mona@acme.com", to=["a@x.example"], subject="S", text=text, html=html or None)
    raw = build_raw(mail)
    message = message_from_bytes(base64.urlsafe_b64decode(raw), policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    _reencode(message)
    assert message_digest(base64.urlsafe_b64encode(message.as_bytes()).decode()) == message_digest(raw)
    for edited in (replace(mail, text=text + extra), replace(mail, html=html + extra)):
        assert message_digest(build_raw(edited)) != message_digest(raw)


def test_the_preview_shows_the_html_a_recipient_would_see(gmail: GmailConnector) -> None:
    draft = gmail.draft(REVIEWED, attribution=AGENT)
    assert "<p>Q3 is <b>fine</b>.</p>" in draft.preview
    assert "Q3 is fine." in draft.preview

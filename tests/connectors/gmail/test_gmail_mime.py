"""Building and reading RFC 822 mail, reply headers, and the net effect of history records."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from charter.connectors.gmail.mime import (
    Outgoing,
    bodies_of,
    build_raw,
    normalise_text,
    read_raw,
    reply_references,
    reply_subject,
)
from charter.connectors.gmail.models import SUBJECT_PATTERN
from charter.connectors.gmail.sync import _Net


def test_reply_subject_adds_re_once() -> None:
    assert reply_subject("Budget") == "Re: Budget"
    assert reply_subject("RE: Budget") == "RE: Budget"


def test_reply_references_end_with_the_answered_message_and_keep_the_chain() -> None:
    refs = reply_references("<a@x> <b@x>", "<c@x>")
    assert refs == "<a@x> <b@x> <c@x>"
    assert reply_references("", "<c@x>") == "<c@x>"
    assert reply_references("<a@x> <c@x>", "<c@x>") == "<a@x> <c@x>"


SUBJECTS = st.from_regex(SUBJECT_PATTERN, fullmatch=True).map(str.strip).filter(bool)
BODIES = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85") | st.just("\n")
)


@given(subject=SUBJECTS, body=BODIES)
def test_what_is_built_reads_back_the_same(subject: str, body: str) -> None:
    mail = Outgoing(
        sender="mona@acme.com", to=["a@x.example"], bcc=["c@z.example"], subject=subject, text=body
    )
    written = read_raw(build_raw(mail))
    assert written.to == {"a@x.example"}
    assert written.bcc == {"c@z.example"}
    assert written.subject == subject
    assert written.text == normalise_text(body)


def test_bodies_of_a_payload_tree_separate_text_html_and_attachments() -> None:
    payload = {
        "mimeType": "multipart/mixed",
        "parts": [
            {
                "mimeType": "multipart/alternative",
                "parts": [
                    {"mimeType": "text/plain", "body": {"data": "aGVsbG8"}},
                    {"mimeType": "text/html", "body": {"data": "PGI-aGk8L2I-"}},
                ],
            },
            {
                "mimeType": "application/pdf",
                "filename": "q3.pdf",
                "body": {"attachmentId": "att1", "size": 42},
            },
        ],
    }
    bodies = bodies_of(payload)
    assert bodies.text == "hello"
    assert bodies.html == "<b>hi</b>"
    assert [(a.filename, a.size, a.attachment_id) for a in bodies.attachments] == [("q3.pdf", 42, "att1")]


def test_history_nets_out_changes_that_cancel() -> None:
    net = _Net()
    net.record({"labelsAdded": [{"message": {"id": "m1"}, "labelIds": ["STARRED"]}]})
    net.record({"labelsRemoved": [{"message": {"id": "m1"}, "labelIds": ["STARRED"]}]})
    net.record({"messagesAdded": [{"message": {"id": "m2"}}]})
    net.record({"labelsAdded": [{"message": {"id": "m2"}, "labelIds": ["INBOX"]}]})
    net.record({"messagesAdded": [{"message": {"id": "m3"}}]})
    net.record({"messagesDeleted": [{"message": {"id": "m3"}}]})
    changes = net.changes("9")
    assert changes.added == ["m2"]
    assert changes.deleted == ["m3"]
    assert changes.label_changes == []

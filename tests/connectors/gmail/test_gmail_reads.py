"""Reading mail through google-api-python-client against the sandbox: search, messages, threads, sync."""

from __future__ import annotations

import pytest

from charter.connectors.gmail import (
    GetMessage,
    GetThread,
    GmailConnector,
    ListLabels,
    ModifyLabels,
    SearchMessages,
    SyncMessages,
    TrashMessage,
)
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import NotFound, ValidationError


def batches(gsb: GoogleSandbox) -> list[int]:
    """How many calls each batch request carried, in order."""
    return [e.request_body.count(b"Content-ID:") for e in gsb.requests.find("POST", "/batch/gmail/v1")]


def test_search_fetches_details_with_one_batch_request_per_hundred_messages(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    gsb.seed_bulk(messages=250)
    gsb.requests.clear()
    page = gmail.read(SearchMessages(page_size=250))
    assert len(page.items) == 250
    assert batches(gsb) == [100, 100, 50]
    assert gsb.requests.count("GET", "/gmail/v1/users/me/messages/*") == 0
    assert gsb.requests.count("GET", "/gmail/v1/users/me/messages") == 1


def test_search_returns_sender_subject_snippet_and_unread_state(gmail: GmailConnector) -> None:
    page = gmail.read(SearchMessages(query="is:unread from:jo.smith@gmail.com"))
    [message] = page.items
    assert message.subject == "Dinner on Saturday?"
    assert "jo.smith@gmail.com" in message.sender
    assert message.unread
    assert message.snippet.startswith("Hey!")
    assert message.provenance.connector == "gmail"
    assert message.date is not None


def test_search_pages_follow_the_cursor_to_the_end_without_repeats(gmail: GmailConnector) -> None:
    seen: list[str] = []
    request = SearchMessages(page_size=20)
    while True:
        page = gmail.read(request)
        seen += [m.id for m in page.items]
        if page.next_cursor is None:
            break
        request = request.model_copy(update={"cursor": page.next_cursor})
    assert len(seen) == len(set(seen)) > 40


def test_a_cursor_cannot_be_carried_to_another_query(gmail: GmailConnector) -> None:
    page = gmail.read(SearchMessages(page_size=5))
    assert page.next_cursor is not None
    with pytest.raises(ValidationError, match="different listing"):
        gmail.read(SearchMessages(query="is:unread", page_size=5, cursor=page.next_cursor))


def test_get_message_gives_headers_bodies_and_attachment_metadata(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    stored = next(m for m in gsb.state.gmail.messages.values() if m.parsed.filenames)
    message = gmail.read(GetMessage(message_id=stored.id))
    assert message.attachments
    attachment = message.attachments[0]
    assert attachment.filename == stored.parsed.filenames[0]
    assert attachment.size > 0
    assert attachment.attachment_id
    assert message.text.strip()
    assert message.message_id_header.startswith("<")


def test_get_thread_lists_the_conversation_oldest_first_with_cc(gmail: GmailConnector) -> None:
    [first] = gmail.read(SearchMessages(query='subject:"Q3 planning offsite"', page_size=1)).items
    thread = gmail.read(GetThread(thread_id=first.thread_id))
    assert len(thread.messages) == 3
    dates = [m.date for m in thread.messages]
    assert dates == sorted(d for d in dates if d is not None)
    assert "priya@acme.com" in thread.messages[0].cc
    assert thread.messages[1].in_reply_to == thread.messages[0].message_id_header


def test_an_unknown_message_is_not_found(gmail: GmailConnector) -> None:
    with pytest.raises(NotFound, match="message 0000000000000000"):
        gmail.read(GetMessage(message_id="0000000000000000"))


def test_labels_list_system_and_user_labels(gmail: GmailConnector) -> None:
    labels = {label.name: label for label in gmail.read(ListLabels()).items}
    assert labels["INBOX"].type == "system"
    assert labels["Partners"].type == "user"


def test_a_repeat_sync_with_no_changes_costs_one_request(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    start = gmail.read(SyncMessages())
    gsb.requests.clear()
    again = gmail.read(SyncMessages(cursor=start.cursor))
    assert len(gsb.requests) == 1
    assert (again.added, again.deleted, again.label_changes) == ([], [], [])
    assert again.id == start.id


def test_sync_reports_new_mail_label_changes_and_deletions(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    start = gmail.read(SyncMessages())
    inbox = [m for m in gsb.state.gmail.messages.values() if "INBOX" in m.label_ids]
    gmail.write(ModifyLabels(message_id=inbox[0].id, remove=["INBOX"]))
    gmail.write(TrashMessage(message_id=inbox[1].id))
    changes = gmail.read(SyncMessages(cursor=start.cursor))
    by_message = {c.message_id: c for c in changes.label_changes}
    assert by_message[inbox[0].id].removed == ["INBOX"]
    assert "TRASH" in by_message[inbox[1].id].added
    later = gmail.read(SyncMessages(cursor=changes.cursor))
    assert later.label_changes == []


def test_sync_lists_a_message_sent_since_as_added(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    from charter.connectors.gmail import SendDraft

    start = gmail.read(SyncMessages())
    gmail.write(SendDraft(to=["lee@acme.com"], subject="Lunch?", body="Noon?"))
    changes = gmail.read(SyncMessages(cursor=start.cursor))
    assert [m.subject for m in changes.added] == ["Lunch?"]


def test_sync_from_history_gmail_no_longer_keeps_asks_for_a_full_sync(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    start = gmail.read(SyncMessages())
    inbox = next(m for m in gsb.state.gmail.messages.values() if "INBOX" in m.label_ids)
    gmail.write(ModifyLabels(message_id=inbox.id, remove=["INBOX"]))
    gsb.state.gmail.truncate_history()
    result = gmail.read(SyncMessages(cursor=start.cursor))
    assert result.full_sync_required
    assert result.id != start.id

"""Gmail v1 on the sandbox through google-api-python-client: search, formats, drafts, send, history."""

from __future__ import annotations

import base64
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from charter.sandboxes.google import GoogleSandbox

Build = Callable[..., Any]


def _ids(gmail: Any, q: str = "", **extra: Any) -> list[str]:
    found = gmail.users().messages().list(userId="me", q=q, **extra).execute()
    return [m["id"] for m in found.get("messages", [])]


def _raw(to: str, subject: str, text: str, **headers: str) -> str:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    return base64.urlsafe_b64encode(msg.as_bytes()).decode()


def _status(exc: pytest.ExceptionInfo[HttpError]) -> int:
    return int(exc.value.resp.status)


def test_search_syntax_subset(gmail: Any, gsb: GoogleSandbox) -> None:
    box = gsb.state.gmail
    from_dana = _ids(gmail, "from:dana@partner.example")
    assert from_dana
    assert all("dana@partner.example" in box.messages[i].header("From") for i in from_dana)
    with_pdf = _ids(gmail, "has:attachment")
    assert len(with_pdf) == 1
    assert box.messages[with_pdf[0]].parsed.filenames == ["partner-agreement-2025.pdf"]
    assert set(_ids(gmail, "label:partners")) == set(
        _ids(gmail, "", labelIds=[box.label_by_name("Partners").id])
    )
    assert _ids(gmail, 'subject:"Q3 planning"')
    assert not set(_ids(gmail, "is:unread")) & set(_ids(gmail, "-is:unread"))
    assert _ids(gmail, "newer_than:2d")
    assert len(_ids(gmail, "newer_than:2d")) < len(_ids(gmail, "newer_than:30d"))
    assert not _ids(gmail, "prize"), "spam stays out of searches"
    assert _ids(gmail, "prize in:spam")
    assert _ids(gmail, "renewal cc:legal@partner.example")


def test_every_page_at_the_maximum_size_reaches_the_end_once(gsb: GoogleSandbox, gmail: Any) -> None:
    gsb.seed_bulk(messages=1100)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = gmail.users().messages().list(userId="me", maxResults=5000, pageToken=token).execute()
        seen += [m["id"] for m in page["messages"]]
        pages += 1
        token = page.get("nextPageToken")
        if token is None:
            break
    visible = [m for m in gsb.state.gmail.messages.values() if not {"SPAM", "TRASH"} & set(m.label_ids)]
    assert pages == 3
    assert len(seen) == len(set(seen)) == len(visible)


def test_message_formats(gmail: Any, gsb: GoogleSandbox) -> None:
    ident = _ids(gmail, "has:attachment")[0]
    get = gmail.users().messages().get
    full = get(userId="me", id=ident).execute()
    parts = full["payload"]["parts"]
    attachment = next(p for p in parts if p["filename"])
    assert attachment["body"]["attachmentId"]
    assert "data" not in attachment["body"]
    text = next(p for p in parts if p["mimeType"] == "text/plain")
    assert base64.urlsafe_b64decode(text["body"]["data"]).decode().startswith("Attached is the renewal")
    meta = get(userId="me", id=ident, format="metadata", metadataHeaders=["Subject"]).execute()
    assert [h["name"] for h in meta["payload"]["headers"]] == ["Subject"]
    minimal = get(userId="me", id=ident, format="minimal").execute()
    assert "payload" not in minimal
    raw = get(userId="me", id=ident, format="raw").execute()
    assert base64.urlsafe_b64decode(raw["raw"]) == gsb.state.gmail.messages[ident].raw
    body = (
        gmail.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=ident, id=attachment["body"]["attachmentId"])
        .execute()
    )
    assert base64.urlsafe_b64decode(body["data"]).startswith(b"%PDF")
    assert body["size"] == attachment["body"]["size"]


def test_metadata_scope_refuses_search_and_full_bodies(build: Build) -> None:
    meta = build("gmail", ["gmail.metadata"])
    ident = meta.users().messages().list(userId="me").execute()["messages"][0]["id"]
    assert meta.users().messages().get(userId="me", id=ident, format="metadata").execute()["id"] == ident
    with pytest.raises(HttpError) as full:
        meta.users().messages().get(userId="me", id=ident, format="full").execute()
    assert _status(full) == 403
    with pytest.raises(HttpError) as query:
        meta.users().messages().list(userId="me", q="is:unread").execute()
    assert _status(query) == 403


def test_another_users_mailbox_and_unknown_ids(gmail: Any) -> None:
    with pytest.raises(HttpError) as other:
        gmail.users().getProfile(userId="lee@acme.com").execute()
    assert _status(other) == 403
    with pytest.raises(HttpError) as missing:
        gmail.users().messages().get(userId="me", id="0000000000000000").execute()
    assert _status(missing) == 404


def test_thread_and_labels(gmail: Any, gsb: GoogleSandbox) -> None:
    ident = _ids(gmail, 'subject:"Q3 planning offsite"')[0]
    thread_id = gsb.state.gmail.messages[ident].thread_id
    thread = gmail.users().threads().get(userId="me", id=thread_id, format="metadata").execute()
    assert len(thread["messages"]) == 3
    assert any(h["name"] == "Cc" for h in thread["messages"][0]["payload"]["headers"])
    threads = gmail.users().threads().list(userId="me", q="label:projects-atlas").execute()
    assert thread_id in {t["id"] for t in threads["threads"]}
    names = {lb["name"] for lb in gmail.users().labels().list(userId="me").execute()["labels"]}
    assert {"INBOX", "UNREAD", "Projects/Atlas", "Receipts"} <= names


def test_modify_and_trash_change_labels(gmail: Any, gsb: GoogleSandbox) -> None:
    ident = _ids(gmail, "is:unread")[0]
    changed = (
        gmail.users().messages().modify(userId="me", id=ident, body={"removeLabelIds": ["UNREAD"]}).execute()
    )
    assert "UNREAD" not in changed["labelIds"]
    gmail.users().messages().trash(userId="me", id=ident).execute()
    assert "TRASH" in gsb.state.gmail.messages[ident].label_ids
    assert ident not in _ids(gmail)
    with pytest.raises(HttpError) as bad:
        gmail.users().messages().modify(userId="me", id=ident, body={"addLabelIds": ["Label_999"]}).execute()
    assert _status(bad) == 400


def test_reply_draft_stays_in_thread_and_send_keeps_cc_and_bcc(gmail: Any, gsb: GoogleSandbox) -> None:
    box = gsb.state.gmail
    original = box.messages[_ids(gmail, "from:dana@partner.example has:attachment")[0]]
    msg_id = original.header("Message-ID")
    raw = _raw(
        "dana@partner.example",
        "Re: Contract renewal: partner agreement",
        "Comments attached.",
        Cc="lee@acme.com",
        Bcc="legal@acme.com",
        In_Reply_To=msg_id,
        References=msg_id,
    )
    drafts = gmail.users().drafts()
    draft = drafts.create(
        userId="me", body={"message": {"raw": raw, "threadId": original.thread_id}}
    ).execute()
    assert draft["message"]["threadId"] == original.thread_id
    assert drafts.get(userId="me", id=draft["id"]).execute()["message"]["labelIds"] == ["DRAFT"]
    assert draft["id"] in {d["id"] for d in drafts.list(userId="me").execute()["drafts"]}
    sent = drafts.send(userId="me", body={"id": draft["id"]}).execute()
    assert sent["threadId"] == original.thread_id
    assert "SENT" in sent["labelIds"]
    out = box.sent[-1]
    assert (out.to, out.cc, out.bcc) == (("dana@partner.example",), ("lee@acme.com",), ("legal@acme.com",))
    assert out.header("In-Reply-To") == msg_id
    assert out.header("Message-ID")
    assert draft["id"] not in box.drafts


def test_a_reply_without_references_starts_a_new_thread(gmail: Any, gsb: GoogleSandbox) -> None:
    original = gsb.state.gmail.messages[_ids(gmail, "from:dana@partner.example has:attachment")[0]]
    raw = _raw("dana@partner.example", "Re: Contract renewal: partner agreement", "No headers.")
    draft = (
        gmail.users()
        .drafts()
        .create(userId="me", body={"message": {"raw": raw, "threadId": original.thread_id}})
    ).execute()
    assert draft["message"]["threadId"] != original.thread_id


def test_update_replaces_the_draft_message(gmail: Any, gsb: GoogleSandbox) -> None:
    drafts = gmail.users().drafts()
    draft = drafts.create(
        userId="me", body={"message": {"raw": _raw("jo.smith@gmail.com", "Hi", "v1")}}
    ).execute()
    updated = drafts.update(
        userId="me", id=draft["id"], body={"message": {"raw": _raw("jo.smith@gmail.com", "Hi", "v2")}}
    ).execute()
    assert updated["id"] == draft["id"]
    assert updated["message"]["id"] != draft["message"]["id"]
    assert "v2" in gsb.state.gmail.messages[updated["message"]["id"]].parsed.text
    drafts.delete(userId="me", id=draft["id"]).execute()
    assert not gsb.state.gmail.drafts


def test_send_without_recipients_is_refused(gmail: Any) -> None:
    msg = EmailMessage()
    msg["Subject"] = "nobody"
    msg.set_content("x")
    raw = base64.urlsafe_b64encode(msg.as_bytes()).decode()
    with pytest.raises(HttpError) as refused:
        gmail.users().messages().send(userId="me", body={"raw": raw}).execute()
    assert _status(refused) == 400


def test_history_replays_changes_since_a_history_id(gmail: Any, gsb: GoogleSandbox) -> None:
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    ident = _ids(gmail, "is:unread")[0]
    gmail.users().messages().modify(userId="me", id=ident, body={"removeLabelIds": ["UNREAD"]}).execute()
    gmail.users().messages().send(userId="me", body={"raw": _raw("lee@acme.com", "Ping", "ping")}).execute()
    history = gmail.users().history().list(userId="me", startHistoryId=start).execute()
    kinds = [next(k for k in r if k not in ("id", "messages")) for r in history["history"]]
    assert kinds[0] == "labelsRemoved"
    assert "messagesAdded" in kinds
    assert history["history"][0]["labelsRemoved"][0]["labelIds"] == ["UNREAD"]
    assert history["historyId"] == str(gsb.state.gmail.history_id)
    added = (
        gmail.users().history().list(userId="me", startHistoryId=start, historyTypes="messageAdded").execute()
    )
    assert all("messagesAdded" in r for r in added["history"])
    nothing = gmail.users().history().list(userId="me", startHistoryId=history["historyId"]).execute()
    assert "history" not in nothing


def test_history_from_a_too_old_id_is_404(gmail: Any, gsb: GoogleSandbox) -> None:
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    gsb.state.gmail.truncate_history()
    with pytest.raises(HttpError) as gone:
        gmail.users().history().list(userId="me", startHistoryId=str(int(start) - 1)).execute()
    assert _status(gone) == 404
    assert gone.value.error_details[0]["reason"] == "notFound"  # type: ignore[index]

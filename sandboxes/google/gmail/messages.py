"""Gmail v1 reads and label changes: profile, labels, messages, threads, attachments, history."""

from __future__ import annotations

import re

from charter.sandboxes.google import paging
from charter.sandboxes.google.api import ApiResponse, Call, handles
from charter.sandboxes.google.errors import GoogleError, bad_request, not_found
from charter.sandboxes.google.gmail.render import (
    history_json,
    ids_json,
    message_json,
    parse_format,
)
from charter.sandboxes.google.gmail.search import search
from charter.sandboxes.google.gmail.state import Mailbox, StoredMessage
from charter.schemas.types import JsonObject

MAX_PAGE = 500
DEFAULT_PAGE = 100
_METADATA = "https://www.googleapis.com/auth/gmail.metadata"
_GMAIL_ID = re.compile(r"[0-9a-fA-F]{1,16}")


def mailbox(call: Call) -> Mailbox:
    """The mailbox named by `userId` (`me` or the caller's own address)."""
    user = call.params["userId"]
    if user not in ("me", call.email):
        raise GoogleError(403, f"Delegation denied for {call.email}", reason="forbidden")
    box = call.sandbox.state.mailboxes.get(call.email)
    if box is None:
        raise GoogleError(400, "Mail service not enabled", reason="failedPrecondition")
    return box


def metadata_only(call: Call) -> bool:
    """Whether the gmail.metadata scope is all the token has for this method."""
    return call.token.scopes & set(call.method.scopes) == {_METADATA}


def gmail_id(ident: object) -> str:
    """A message or thread id as Gmail parses it (hex, 64 bits): anything else is its 400."""
    if not isinstance(ident, str) or not _GMAIL_ID.fullmatch(ident):
        raise bad_request("Invalid id value", reason="invalidArgument")
    return ident


def message(box: Mailbox, ident: str) -> StoredMessage:
    """A message by id: Gmail's 400 for an id it cannot parse, its 404 for one it does not hold."""
    found = box.messages.get(gmail_id(ident))
    if found is None:
        raise not_found()
    return found


def _changes(box: Mailbox, body: JsonObject) -> tuple[list[str], list[str]]:
    """The label ids a modify adds and removes; Gmail refuses a modify that changes nothing."""
    add = _label_ids(box, body.get("addLabelIds"), "addLabelIds")
    remove = _label_ids(box, body.get("removeLabelIds"), "removeLabelIds")
    if not add and not remove:
        raise bad_request("No label add or removes specified", reason="invalidArgument")
    return add, remove


def _label_ids(box: Mailbox, ids: object, field: str) -> list[str]:
    if ids is None:
        return []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise bad_request(f"Invalid value at '{field}'", reason="invalidArgument")
    for ident in ids:
        if ident not in box.labels:
            raise bad_request(f"Invalid label: {ident}", reason="invalidArgument")
    return list(ids)


def _page_of(call: Call, items: list[StoredMessage], query: str) -> tuple[list[StoredMessage], str | None]:
    size = call.page_size(DEFAULT_PAGE, MAX_PAGE)
    token = call.arg("pageToken")
    if token:
        date, ident = paging.decode(token, query)["k"]
        items = [m for m in items if (m.internal_date, m.id) < (date, ident)]
    page = items[:size]
    more = len(items) > size
    return page, paging.encode({"q": query, "k": [page[-1].internal_date, page[-1].id]}) if more else None


@handles("gmail.users.getProfile")
def get_profile(call: Call) -> ApiResponse:
    """users.getProfile."""
    box = mailbox(call)
    messages, threads = box.counts()
    return ApiResponse(
        {
            "emailAddress": box.email,
            "messagesTotal": messages,
            "threadsTotal": threads,
            "historyId": str(box.history_id),
        }
    )


@handles("gmail.users.labels.list")
def list_labels(call: Call) -> ApiResponse:
    """labels.list."""
    return ApiResponse({"labels": [lb.to_json() for lb in mailbox(call).labels.values()]})


@handles("gmail.users.labels.get")
def get_label(call: Call) -> ApiResponse:
    """labels.get, with message and thread counts."""
    box = mailbox(call)
    label = box.labels.get(call.params["id"])
    if label is None:
        raise not_found()
    tagged = [m for m in box.messages.values() if label.id in m.label_ids]
    unread = [m for m in tagged if "UNREAD" in m.label_ids]
    counts = {
        "messagesTotal": len(tagged),
        "messagesUnread": len(unread),
        "threadsTotal": len({m.thread_id for m in tagged}),
        "threadsUnread": len({m.thread_id for m in unread}),
    }
    return ApiResponse({**label.to_json(), **counts})


@handles("gmail.users.labels.create")
def create_label(call: Call) -> ApiResponse:
    """labels.create."""
    box = mailbox(call)
    name = call.json().get("name")
    if not isinstance(name, str) or not name.strip():
        raise bad_request("Invalid label name", reason="invalidArgument")
    if box.label_by_name(name) is not None:
        raise GoogleError(
            409, "Label name exists or conflicts", reason="failedPrecondition", status="ALREADY_EXISTS"
        )
    return ApiResponse(box.add_label(name).to_json())


@handles("gmail.users.messages.list")
def list_messages(call: Call) -> ApiResponse:
    """messages.list: search with `q` and `labelIds`, newest first, `pageToken` paging."""
    box = mailbox(call)
    q = call.arg("q") or ""
    if q and metadata_only(call):
        raise GoogleError(403, "Metadata scope does not support 'q' parameter", reason="forbidden")
    labels = call.args("labelIds")
    spam_trash = call.flag("includeSpamTrash")
    found = search(box, q, labels, spam_trash, int(call.sandbox.clock.now() * 1000))
    page, next_token = _page_of(call, found, paging.fingerprint("messages", q, labels, spam_trash))
    body: JsonObject = {}
    if page:
        body["messages"] = [ids_json(m) for m in page]
    if next_token:
        body["nextPageToken"] = next_token
    body["resultSizeEstimate"] = len(found)
    return ApiResponse(body)


@handles("gmail.users.messages.get")
def get_message(call: Call) -> ApiResponse:
    """messages.get in the `full`, `metadata`, `minimal` or `raw` format."""
    box = mailbox(call)
    fmt = parse_format(call.arg("format"))
    if fmt in ("full", "raw") and metadata_only(call):
        raise GoogleError(403, f"Metadata scope doesn't allow format {fmt.upper()}", reason="forbidden")
    msg = message(box, call.params["id"])
    return ApiResponse(message_json(msg, fmt, call.args("metadataHeaders")))


@handles("gmail.users.messages.attachments.get")
def get_attachment(call: Call) -> ApiResponse:
    """messages.attachments.get: an attachment's bytes, base64url."""
    from charter.sandboxes.google.gmail.mime import b64url

    msg = message(mailbox(call), call.params["messageId"])
    data = msg.parsed.attachments.get(call.params["id"])
    if data is None:
        raise bad_request("Invalid attachment token", reason="invalidArgument")
    return ApiResponse({"attachmentId": call.params["id"], "size": len(data), "data": b64url(data)})


@handles("gmail.users.messages.modify")
def modify_message(call: Call) -> ApiResponse:
    """messages.modify: add and remove labels."""
    box = mailbox(call)
    msg = message(box, call.params["id"])
    add, remove = _changes(box, call.json())
    box.modify(msg, add, remove)
    return ApiResponse(ids_json(msg, labels=True))


@handles("gmail.users.messages.batchModify")
def batch_modify(call: Call) -> ApiResponse:
    """messages.batchModify: the same label change on up to 1000 messages."""
    box = mailbox(call)
    body = call.json()
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or len(ids) > 1000:
        raise bad_request("ids must list between 1 and 1000 message ids", reason="invalidArgument")
    add, remove = _changes(box, body)
    for ident in [gmail_id(i) for i in ids]:
        if (msg := box.messages.get(ident)) is not None:
            box.modify(msg, add, remove)
    return ApiResponse(None, status=204)


@handles("gmail.users.messages.trash")
def trash_message(call: Call) -> ApiResponse:
    """messages.trash: the message moves to the trash (TRASH added, INBOX removed)."""
    box = mailbox(call)
    msg = message(box, call.params["id"])
    box.modify(msg, ["TRASH"], ["INBOX", "UNREAD"])
    return ApiResponse(ids_json(msg, labels=True))


@handles("gmail.users.messages.untrash")
def untrash_message(call: Call) -> ApiResponse:
    """messages.untrash."""
    box = mailbox(call)
    msg = message(box, call.params["id"])
    box.modify(msg, [] if "SENT" in msg.label_ids else ["INBOX"], ["TRASH"])
    return ApiResponse(ids_json(msg, labels=True))


@handles("gmail.users.messages.delete")
def delete_message(call: Call) -> ApiResponse:
    """messages.delete: gone for good (needs the full mail.google.com scope)."""
    box = mailbox(call)
    box.delete(message(box, call.params["id"]))
    return ApiResponse(None, status=204)


@handles("gmail.users.threads.get")
def get_thread(call: Call) -> ApiResponse:
    """threads.get: every message of the thread in the asked format."""
    box = mailbox(call)
    fmt = parse_format(call.arg("format"))
    if fmt in ("full", "raw") and metadata_only(call):
        raise GoogleError(403, f"Metadata scope doesn't allow format {fmt.upper()}", reason="forbidden")
    members = box.thread(gmail_id(call.params["id"]))
    if not members:
        raise not_found()
    headers = call.args("metadataHeaders")
    return ApiResponse(
        {
            "id": call.params["id"],
            "historyId": str(max(m.history_id for m in members)),
            "messages": [message_json(m, fmt, headers) for m in members],
        }
    )


@handles("gmail.users.threads.list")
def list_threads(call: Call) -> ApiResponse:
    """threads.list: threads with a matching message, newest first."""
    box = mailbox(call)
    q = call.arg("q") or ""
    labels = call.args("labelIds")
    found = search(box, q, labels, call.flag("includeSpamTrash"), int(call.sandbox.clock.now() * 1000))
    latest: dict[str, StoredMessage] = {}
    for msg in found:
        latest.setdefault(msg.thread_id, msg)
    page, next_token = _page_of(call, list(latest.values()), paging.fingerprint("threads", q, labels))
    body: JsonObject = {}
    if page:
        body["threads"] = [
            {"id": m.thread_id, "snippet": m.parsed.snippet, "historyId": str(m.history_id)} for m in page
        ]
    if next_token:
        body["nextPageToken"] = next_token
    body["resultSizeEstimate"] = len(latest)
    return ApiResponse(body)


@handles("gmail.users.history.list")
def list_history(call: Call) -> ApiResponse:
    """history.list: changes after `startHistoryId`; 404 when that id is older than Gmail keeps."""
    box = mailbox(call)
    raw = call.arg("startHistoryId")
    if raw is None or not raw.isdigit():
        raise bad_request("Invalid startHistoryId", reason="invalidArgument")
    start = int(raw)
    if start < box.oldest_history_id:
        raise not_found()
    kinds = set(call.args("historyTypes"))
    label = call.arg("labelId")
    query = paging.fingerprint("history", start, sorted(kinds), label)
    token = call.arg("pageToken")
    after = paging.decode(token, query)["k"] if token else start
    records = [
        r
        for r in box.history
        if r.id > after
        and (not kinds or r.kind in kinds)
        and (label is None or label in r.label_ids or label in _labels_now(box, r.message_id))
    ]
    size = call.page_size(DEFAULT_PAGE, MAX_PAGE)
    page = records[:size]
    body: JsonObject = {}
    if page:
        body["history"] = [history_json(box, r) for r in page]
    if len(records) > size:
        body["nextPageToken"] = paging.encode({"q": query, "k": page[-1].id})
    body["historyId"] = str(box.history_id)
    return ApiResponse(body)


def _labels_now(box: Mailbox, message_id: str) -> list[str]:
    msg = box.messages.get(message_id)
    return msg.label_ids if msg else []

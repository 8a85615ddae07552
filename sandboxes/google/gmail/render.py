"""Gmail's JSON for messages, threads, drafts and history records."""

from __future__ import annotations

from typing import Literal

from charter.sandboxes.google.errors import bad_request
from charter.sandboxes.google.gmail.mime import b64url
from charter.sandboxes.google.gmail.state import Draft, HistoryRecord, Mailbox, StoredMessage
from charter.schemas.types import JsonObject

Format = Literal["full", "metadata", "minimal", "raw"]
FORMATS = ("full", "metadata", "minimal", "raw")


def parse_format(value: str | None) -> Format:
    """The `format` parameter, `full` by default."""
    fmt = (value or "full").lower()
    if fmt not in FORMATS:
        raise bad_request(f"Invalid value at 'format' ({value})", reason="invalidArgument")
    return fmt  # type: ignore[return-value]


def ids_json(msg: StoredMessage, *, labels: bool = False) -> JsonObject:
    """`{id, threadId}` (and `labelIds`), as lists and write answers show a message."""
    out: JsonObject = {"id": msg.id, "threadId": msg.thread_id}
    if labels:
        out["labelIds"] = list(msg.label_ids)
    return out


def message_json(
    msg: StoredMessage, fmt: Format = "full", metadata_headers: list[str] | None = None
) -> JsonObject:
    """A message in one of Gmail's formats."""
    parsed = msg.parsed
    out: JsonObject = {
        "id": msg.id,
        "threadId": msg.thread_id,
        "labelIds": list(msg.label_ids),
        "snippet": parsed.snippet,
    }
    if fmt == "full":
        out["payload"] = parsed.payload
    elif fmt == "metadata":
        wanted = {h.lower() for h in metadata_headers or []}
        headers = [h for h in parsed.payload["headers"] if not wanted or h["name"].lower() in wanted]
        out["payload"] = {
            "partId": "",
            "mimeType": parsed.payload["mimeType"],
            "filename": "",
            "headers": headers,
            "body": {"size": 0},
        }
    elif fmt == "raw":
        out["raw"] = b64url(msg.raw)
    out["sizeEstimate"] = len(msg.raw)
    out["historyId"] = str(msg.history_id)
    out["internalDate"] = str(msg.internal_date)
    return out


def draft_json(mailbox: Mailbox, draft: Draft, fmt: Format | None = None) -> JsonObject:
    """A draft: its id and its message (ids only, or in `fmt`)."""
    msg = mailbox.messages[draft.message_id]
    body = ids_json(msg, labels=True) if fmt is None else message_json(msg, fmt)
    return {"id": draft.id, "message": body}


def history_json(mailbox: Mailbox, record: HistoryRecord) -> JsonObject:
    """One history record in Gmail's shape."""
    current = mailbox.messages.get(record.message_id)
    labels = list(current.label_ids) if current else []
    ref: JsonObject = {"id": record.message_id, "threadId": record.thread_id}
    with_labels: JsonObject = {**ref, "labelIds": labels} if current else ref
    out: JsonObject = {"id": str(record.id), "messages": [ref]}
    if record.kind == "messageAdded":
        out["messagesAdded"] = [{"message": with_labels}]
    elif record.kind == "messageDeleted":
        out["messagesDeleted"] = [{"message": ref}]
    elif record.kind == "labelAdded":
        out["labelsAdded"] = [{"message": with_labels, "labelIds": list(record.label_ids)}]
    else:
        out["labelsRemoved"] = [{"message": with_labels, "labelIds": list(record.label_ids)}]
    return out

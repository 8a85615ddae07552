"""Gmail's JSON answers turned into Charter resources."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from charter.connectors.gmail.mime import addresses, bodies_of, headers_of
from charter.connectors.gmail.models import CONNECTOR, Label, Message, MessageSummary, Thread
from charter.schemas import Provenance
from charter.schemas.types import JsonValue

WEB = "https://mail.google.com/mail/u/0/#all/"
# Headers a summary asks for with format=metadata.
SUMMARY_HEADERS = ("From", "To", "Cc", "Subject", "Date")
# Headers shown as fields of a Message; the rest go to `headers`.
_FIELDS = frozenset(
    {"from", "to", "cc", "bcc", "subject", "date", "reply-to", "message-id", "in-reply-to", "references"}
)
# Transport headers an agent has no use for and that only lengthen its context.
_NOISE = ("received", "dkim-signature", "arc-", "x-google-", "authentication-results", "x-received")


def provenance(kind: str, data: JsonValue, author: str | None) -> Provenance:
    """Where a Gmail object came from: its id, the Gmail web page of its thread, its sender."""
    thread = data.get("threadId") or data.get("id")
    return Provenance(connector=CONNECTOR, id=f"{kind}:{data.get('id')}", url=f"{WEB}{thread}", author=author)


def history_provenance(history_id: str) -> Provenance:
    """Where a sync result came from: the mailbox's history at `history_id`."""
    return Provenance(connector=CONNECTOR, id=f"history:{history_id}")


def _date(headers: dict[str, str], data: JsonValue) -> datetime | None:
    try:
        return parsedate_to_datetime(headers["date"]).astimezone(UTC)
    except (KeyError, TypeError, ValueError, IndexError):
        internal = data.get("internalDate")
        return datetime.fromtimestamp(int(internal) / 1000, UTC) if str(internal or "").isdigit() else None


def _summary_fields(data: JsonValue, headers: dict[str, str]) -> dict[str, object]:
    sender = headers.get("from", "")
    labels = list(data.get("labelIds") or [])
    thread = data.get("threadId") or data["id"]
    return {
        "id": str(data["id"]),
        "provenance": {
            "connector": CONNECTOR,
            "id": f"message:{data['id']}",
            "url": f"{WEB}{thread}",
            "author": sender or None,
        },
        "thread_id": str(thread),
        "sender": sender,
        "to": addresses(headers.get("to", "")),
        "cc": addresses(headers.get("cc", "")),
        "subject": headers.get("subject", ""),
        "date": _date(headers, data),
        "snippet": str(data.get("snippet") or ""),
        "label_ids": labels,
        "unread": "UNREAD" in labels,
    }


# Both are validated once, from plain values: a page of 500 calls pydantic 500 times, not 2,500.


def summary_from(data: JsonValue) -> MessageSummary:
    """A listing entry from a messages.get answer (format metadata or full)."""
    return MessageSummary.model_validate(_summary_fields(data, headers_of(data.get("payload"))))


def message_from(data: JsonValue) -> Message:
    """A whole message from a messages.get answer with format=full."""
    headers = headers_of(data.get("payload"))
    bodies = bodies_of(data.get("payload"))
    return Message.model_validate(
        _summary_fields(data, headers)
        | {
            "bcc": addresses(headers.get("bcc", "")),
            "reply_to": headers.get("reply-to", ""),
            "message_id_header": headers.get("message-id", ""),
            "in_reply_to": headers.get("in-reply-to", ""),
            "references": headers.get("references", ""),
            "text": bodies.text,
            "html": bodies.html,
            "attachments": bodies.attachments,
            "headers": {k: v for k, v in headers.items() if k not in _FIELDS and not k.startswith(_NOISE)},
        }
    )


def thread_from(data: JsonValue) -> Thread:
    messages = [message_from(m) for m in data.get("messages") or []]
    author = messages[0].sender if messages else None
    return Thread(
        id=str(data["id"]),
        provenance=provenance("thread", {"id": data["id"], "threadId": data["id"]}, author),
        messages=messages,
    )


def label_from(data: JsonValue) -> Label:
    return Label(
        id=str(data["id"]),
        provenance=Provenance(connector=CONNECTOR, id=f"label:{data['id']}"),
        name=str(data.get("name") or data["id"]),
        type=str(data.get("type") or "user").lower(),
    )

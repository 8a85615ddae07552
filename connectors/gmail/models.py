"""Gmail request models (what an agent may ask) and resource models (what it gets back)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from charter.connectors.base import recipient_field
from charter.schemas import Change, Page, Resource

CONNECTOR = "gmail"
# messages.list allows 500; one batch carries 100 message reads, so 100 is one list + one batch.
DEFAULT_PAGE = 100
MAX_PAGE = 500
# One call reads as many messages by id as a search page lists (five batch requests).
MAX_GET_MANY = 500
MAX_RECIPIENTS = 100
MAX_BODY = 200_000
# Gmail's ids: lowercase hex (messages, threads), `r-…` or `r…` digits (drafts).
ID_PATTERN = r"^[0-9a-zA-Z_-]{1,64}$"
# A practical address check: one @, no spaces or angle brackets; Gmail validates the rest.
ADDRESS_PATTERN = r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$"

# One header line: no control characters or the line separators mail headers may not hold.
SUBJECT_PATTERN = r"^[^\x00-\x1f\x7f\x85\u2028\u2029]*$"

Address = Annotated[str, Field(pattern=ADDRESS_PATTERN, max_length=320)]
GmailId = Annotated[
    str, Field(pattern=ID_PATTERN, description="A Gmail message id, e.g. `18c2f0a1b2c3d4e5`.")
]
LabelRef = Annotated[str, Field(min_length=1, max_length=225)]
Cursor = Annotated[
    str | None,
    Field(
        default=None, max_length=500, description="`next_cursor` of the previous page; omit for the first."
    ),
]

_CONFIG = ConfigDict(extra="forbid", frozen=True)


class _Request(BaseModel):
    model_config = _CONFIG


def _recipients(description: str, *, required: bool = False) -> Any:
    if required:
        return recipient_field(description, min_length=1, max_length=MAX_RECIPIENTS)
    return recipient_field(description, default_factory=list, max_length=MAX_RECIPIENTS)


# -- read requests ---------------------------------------------------------------------------


class SearchMessages(_Request):
    """Messages matching a Gmail search, newest first."""

    query: str = Field(
        default="",
        max_length=1000,
        description="Gmail search syntax, e.g. `is:unread from:ana@partner.example newer_than:7d`; "
        "empty for every message.",
    )
    label_ids: list[LabelRef] = Field(
        default_factory=list, max_length=10, description="Only messages carrying all these label ids."
    )
    include_spam_trash: bool = Field(default=False, description="Also search Spam and Trash.")
    page_size: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="Messages per page, 1-500.")
    bodies: bool = Field(default=False, description="Whole messages, not summaries; more tokens.")
    cursor: Cursor = None


class GetMessage(_Request):
    """One message with its headers, bodies and attachment list."""

    message_id: GmailId


class GetMessages(_Request):
    """Several messages by id, each whole, in the order asked (read in batches of 100)."""

    message_ids: list[GmailId] = Field(
        min_length=1,
        max_length=MAX_GET_MANY,
        description="Message ids, e.g. from a search, up to 500; repeats are read once.",
    )


class GetThread(_Request):
    """A conversation: every message of a thread, oldest first."""

    thread_id: str = Field(pattern=ID_PATTERN, description="A Gmail thread id.")


class ListLabels(_Request):
    """The mailbox's labels, system and user-made."""


class SyncMessages(_Request):
    """What changed in the mailbox since the last sync."""

    cursor: Cursor = Field(
        default=None,
        max_length=500,
        description="`cursor` of the previous sync; omit the first time to get a starting point.",
    )
    label_id: str | None = Field(
        default=None, max_length=225, description="Only changes to messages with this label id."
    )


# -- changes -------------------------------------------------------------------------------


class _Mail(Change):
    model_config = _CONFIG

    cc: list[Address] = _recipients("Cc addresses.")
    bcc: list[Address] = _recipients("Bcc addresses (hidden from the other recipients).")
    body: str = Field(max_length=MAX_BODY, description="Plain-text body.")
    html: str | None = Field(default=None, max_length=MAX_BODY, description="Optional HTML body.")


class NewMessage(_Mail):
    """A new message, started as a Gmail draft."""

    to: list[Address] = _recipients("To addresses.", required=True)
    subject: str = Field(min_length=1, max_length=900, pattern=SUBJECT_PATTERN, description="Subject line.")


class ReplyMessage(_Mail):
    """A reply inside the thread of an existing message."""

    message_id: GmailId = Field(description="The Gmail id of the message being answered.")
    to: list[Address] = _recipients(
        "Who the reply goes to, usually the sender of the message answered.", required=True
    )
    subject: str | None = Field(
        default=None,
        max_length=900,
        pattern=SUBJECT_PATTERN,
        description="Subject; `Re: <original subject>` when omitted.",
    )


class SendDraft(_Mail):
    """A message to send: a new one, or a reply when `message_id` names the message answered.

    Writing a draft made by `draft_message` or `draft_reply` sends exactly what was previewed.
    """

    to: list[Address] = _recipients("To addresses.", required=True)
    subject: str | None = Field(
        default=None, max_length=900, pattern=SUBJECT_PATTERN, description="Subject line."
    )
    message_id: str | None = Field(
        default=None, pattern=ID_PATTERN, description="For a reply: the Gmail id of the message answered."
    )

    @model_validator(mode="after")
    def _subject_or_reply(self) -> SendDraft:
        if not self.subject and not self.message_id:
            raise ValueError("give a subject (or message_id, to reply to a message)")
        return self


class ModifyLabels(Change):
    """Add or remove labels of one message (archive = remove INBOX; read = remove UNREAD)."""

    model_config = _CONFIG

    message_id: GmailId
    add: list[LabelRef] = Field(default_factory=list, max_length=20, description="Label ids or names to add.")
    remove: list[LabelRef] = Field(
        default_factory=list, max_length=20, description="Label ids or names to remove."
    )

    @model_validator(mode="after")
    def _something_to_do(self) -> ModifyLabels:
        if not self.add and not self.remove:
            raise ValueError("name at least one label to add or remove")
        reserved = {name.upper() for name in self.add} & {"TRASH", "SPAM"}
        if reserved:
            raise ValueError(f"use trash_message instead of adding {', '.join(sorted(reserved))}")
        return self


class TrashMessage(Change):
    """Move one message to the Trash (Gmail deletes it for good after 30 days)."""

    model_config = _CONFIG

    message_id: GmailId


# -- resources -------------------------------------------------------------------------------


class Attachment(BaseModel):
    """An attachment's metadata; its content is not fetched."""

    filename: str
    mime_type: str
    size: int
    attachment_id: str | None = None


class MessageSummary(Resource):
    """A message as listings show it: who, when, subject, labels and Gmail's snippet."""

    thread_id: str
    sender: str = ""
    to: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    snippet: str = ""
    label_ids: list[str] = Field(default_factory=list)
    unread: bool = False


class Message(MessageSummary):
    """A whole message: every header that matters for replying, both bodies, attachments."""

    bcc: list[str] = Field(default_factory=list)
    reply_to: str = ""
    message_id_header: str = Field(default="", description="The RFC 822 Message-ID.")
    in_reply_to: str = ""
    references: str = ""
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict, description="Other headers, first value each.")


class MessageBatch(Page[Message]):
    """Messages read by id, in the order asked; the ids Gmail no longer has are in `missing`."""

    missing: list[str] = Field(default_factory=list, description="Ids asked for that Gmail does not have.")


class Thread(Resource):
    """A conversation, oldest message first."""

    messages: list[Message]


class Label(Resource):
    """A Gmail label: `type` is `system` (INBOX, UNREAD…) or `user`."""

    name: str
    type: str = "user"


class LabelChange(BaseModel):
    """Labels added to or removed from a message since the last sync."""

    message_id: str
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)


class MessageSync(Resource):
    """What changed since the last sync (`id` is the mailbox's history id); pass `cursor` to the next.

    `full_sync_required` means Gmail no longer had history that old: read the mailbox again with
    `search_messages`, then keep syncing from the new `cursor`.
    """

    added: list[MessageSummary] = Field(default_factory=list)
    deleted: list[str] = Field(default_factory=list)
    label_changes: list[LabelChange] = Field(default_factory=list)
    cursor: str
    full_sync_required: bool = False

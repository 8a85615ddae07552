"""One Gmail mailbox: messages (raw RFC 822), threads, labels, drafts, what was sent, and history.

Every change bumps the mailbox's history id and appends a history record, which is what
history.list replays; records older than `oldest_history_id` are gone, as Gmail keeps history
for a limited time only (`truncate_history()` simulates that).
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Literal

from charter.sandboxes.google.gmail.mime import ParsedMessage, parse_raw

SYSTEM_LABELS = (
    "INBOX",
    "SENT",
    "DRAFT",
    "SPAM",
    "TRASH",
    "UNREAD",
    "STARRED",
    "IMPORTANT",
    "CHAT",
    "CATEGORY_PERSONAL",
    "CATEGORY_SOCIAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
)
# System labels Gmail hides from labels.list's visibility fields.
_NO_VISIBILITY = frozenset({"SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT", "CHAT"})
HistoryKind = Literal["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"]


@dataclass
class Label:
    """A Gmail label: one of the system labels or one the person made."""

    id: str
    name: str
    type: Literal["system", "user"] = "user"

    def to_json(self) -> dict[str, object]:
        """The label as labels.list shows it."""
        out: dict[str, object] = {"id": self.id, "name": self.name, "type": self.type}
        if self.type == "user":
            out |= {"messageListVisibility": "show", "labelListVisibility": "labelShow"}
        elif self.id not in _NO_VISIBILITY:
            out |= {"messageListVisibility": "hide", "labelListVisibility": "labelShow"}
        return out


@dataclass
class StoredMessage:
    """A message as Gmail keeps it: the raw bytes plus labels, thread and timestamps."""

    id: str
    thread_id: str
    raw: bytes = field(repr=False)
    label_ids: list[str]
    internal_date: int
    history_id: int
    _parsed: ParsedMessage | None = field(default=None, repr=False)

    @property
    def parsed(self) -> ParsedMessage:
        """The parsed message (parsed once)."""
        if self._parsed is None:
            self._parsed = parse_raw(self.raw, self.id)
        return self._parsed

    def header(self, name: str) -> str:
        """A header's value ('' when absent)."""
        return self.parsed.header(name)


@dataclass
class Draft:
    """A draft: an id that stays while its message is replaced on each update."""

    id: str
    message_id: str


@dataclass(frozen=True)
class HistoryRecord:
    """One change to the mailbox, as history.list reports it."""

    id: int
    kind: HistoryKind
    message_id: str
    thread_id: str
    label_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SentMail:
    """A message that left the mailbox: who it reached and exactly what was sent."""

    message_id: str
    thread_id: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    bcc: tuple[str, ...]
    subject: str
    raw: bytes = field(repr=False)
    via: str

    @property
    def recipients(self) -> tuple[str, ...]:
        """Everyone the message reached (To, Cc and Bcc)."""
        return self.to + self.cc + self.bcc

    def header(self, name: str) -> str:
        """A header of the sent message ('' when absent)."""
        return parse_raw(self.raw, self.message_id).header(name)


def normalise_subject(subject: str) -> str:
    """The subject without reply/forward prefixes, for deciding whether a message joins a thread."""
    return re.sub(r"^(\s*(re|fwd?|aw|wg)\s*:\s*)+", "", subject, flags=re.IGNORECASE).strip().lower()


class Mailbox:
    """Messages, labels, drafts, sent mail and history of one account."""

    def __init__(self, email: str, history_id: int = 1_000_000) -> None:
        self.email = email
        self.messages: dict[str, StoredMessage] = {}
        self.drafts: dict[str, Draft] = {}
        self.labels: dict[str, Label] = {name: Label(name, name, "system") for name in SYSTEM_LABELS}
        self.sent: list[SentMail] = []
        self.history: list[HistoryRecord] = []
        self.history_id = history_id
        # The smallest startHistoryId history.list still accepts.
        self.oldest_history_id = history_id
        self._ids = itertools.count(1)
        self._label_ids = itertools.count(1)

    def __repr__(self) -> str:
        return f"Mailbox({self.email!r}, messages={len(self.messages)}, history_id={self.history_id})"

    def clone(self) -> Mailbox:
        """An independent copy; raw bytes and parsed forms, never changed in place, are shared."""
        twin = copy.copy(self)
        twin.messages = {
            k: dataclasses.replace(m, label_ids=list(m.label_ids)) for k, m in self.messages.items()
        }
        twin.drafts = {k: dataclasses.replace(d) for k, d in self.drafts.items()}
        twin.labels = dict(self.labels)
        twin.sent = list(self.sent)
        twin.history = list(self.history)
        twin._ids = itertools.count(next(copy.copy(self._ids)))
        twin._label_ids = itertools.count(next(copy.copy(self._label_ids)))
        return twin

    # Ids.
    def new_message_id(self, internal_date: int) -> str:
        """A 16-hex-digit id that grows with time, like Gmail's."""
        return f"{((internal_date << 12) | (next(self._ids) & 0xFFF)) & (2**64 - 1):016x}"

    def new_draft_id(self) -> str:
        """A draft id in Gmail's `r-…` style."""
        return f"r-{7_000_000_000_000_000_000 + next(self._ids)}"

    def add_label(self, name: str) -> Label:
        """Create a user label."""
        label = Label(f"Label_{next(self._label_ids)}", name, "user")
        self.labels[label.id] = label
        return label

    def label_by_name(self, name: str) -> Label | None:
        """A label by id or by name (case-insensitive; `-` may stand for a space as in search)."""
        if name in self.labels:
            return self.labels[name]
        wanted = re.sub(r"[-/ ]", " ", name.lower())
        return next(
            (lb for lb in self.labels.values() if re.sub(r"[-/ ]", " ", lb.name.lower()) == wanted), None
        )

    # Changes.
    def _record(self, kind: HistoryKind, msg: StoredMessage, labels: tuple[str, ...] = ()) -> None:
        self.history_id += 1
        msg.history_id = self.history_id
        self.history.append(HistoryRecord(self.history_id, kind, msg.id, msg.thread_id, labels))

    def add_message(
        self, raw: bytes, label_ids: list[str], *, internal_date: int, thread_id: str | None = None
    ) -> StoredMessage:
        """Store a message (received, drafted or sent) and record it in history."""
        ident = self.new_message_id(internal_date)
        msg = StoredMessage(ident, thread_id or ident, raw, list(label_ids), internal_date, self.history_id)
        self.messages[ident] = msg
        self._record("messageAdded", msg)
        return msg

    def modify(self, msg: StoredMessage, add: list[str], remove: list[str]) -> None:
        """Add and remove labels, recording what actually changed."""
        added = tuple(lb for lb in dict.fromkeys(add) if lb not in msg.label_ids)
        removed = tuple(lb for lb in dict.fromkeys(remove) if lb in msg.label_ids and lb not in add)
        msg.label_ids = [lb for lb in msg.label_ids if lb not in removed] + list(added)
        if added:
            self._record("labelAdded", msg, added)
        if removed:
            self._record("labelRemoved", msg, removed)

    def delete(self, msg: StoredMessage) -> None:
        """Remove a message for good."""
        self.messages.pop(msg.id, None)
        self._record("messageDeleted", msg)

    def truncate_history(self) -> None:
        """Forget every history record so far, as Gmail does after about a week."""
        self.history.clear()
        self.oldest_history_id = self.history_id

    # Reading.
    def thread(self, thread_id: str) -> list[StoredMessage]:
        """The messages of a thread, oldest first."""
        found = [m for m in self.messages.values() if m.thread_id == thread_id]
        return sorted(found, key=lambda m: (m.internal_date, m.id))

    def thread_for(self, thread_id: str | None, parsed: ParsedMessage) -> str | None:
        """The thread a new message joins: the asked `thread_id`, only if it really replies into it.

        Gmail keeps a message in the thread named by `threadId` only when its In-Reply-To or
        References name a message of that thread and its subject matches; otherwise it starts one.
        """
        if not thread_id:
            return None
        members = self.thread(thread_id)
        if not members:
            return None
        refs = set(re.findall(r"<[^>]+>", parsed.header("In-Reply-To") + " " + parsed.header("References")))
        known = {m.header("Message-ID") for m in members}
        subject = normalise_subject(parsed.header("Subject"))
        same_subject = any(normalise_subject(m.header("Subject")) == subject for m in members)
        return thread_id if refs & known and same_subject else None

    def draft_for_message(self, message_id: str) -> Draft | None:
        """The draft whose current message is `message_id`."""
        return next((d for d in self.drafts.values() if d.message_id == message_id), None)

    def counts(self) -> tuple[int, int]:
        """(messages, threads) outside drafts, as getProfile reports them."""
        live = [m for m in self.messages.values() if "DRAFT" not in m.label_ids]
        return len(live), len({m.thread_id for m in live})


def internal_date_of(raw_date: str, default: int) -> int:
    """Milliseconds since the epoch from a Date header, or `default` when it cannot be read."""
    try:
        return int(parsedate_to_datetime(raw_date).timestamp() * 1000)
    except (TypeError, ValueError, IndexError):
        return default

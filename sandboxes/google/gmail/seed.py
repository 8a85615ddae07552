"""Mona's seeded mailbox: about 60 messages in 40 threads, dated relative to the sandbox clock.

Colleagues at acme.com, a partner at partner.example, a friend at gmail.com, vendors and
newsletters; some unread, user labels, a PDF attachment, replies with Cc, one spam and one trashed
message, and one message whose text tries to instruct an agent to forward mail elsewhere.
"""

from __future__ import annotations

import zlib

from charter.sandboxes.google.gmail.mime import Attachment, build_message
from charter.sandboxes.google.gmail.seed_threads import PDF, PEOPLE, THREADS, ThreadSeed, notifications
from charter.sandboxes.google.gmail.state import Mailbox

OWNER = "mona@acme.com"
ACCOUNTS = {OWNER: "Mona Lisa Octocat"}


def _domain(person: str) -> str:
    return PEOPLE[person].rpartition("@")[2].rstrip(">")


def _sender_labels(sender: str, thread: ThreadSeed, last: bool) -> list[str]:
    if sender == "mona":
        return ["SENT"]
    special = [lb for lb in thread.labels if lb in ("SPAM", "TRASH")]
    labels = special or ["INBOX", "CATEGORY_PERSONAL"]
    if thread.unread and last and not special:
        labels.append("UNREAD")
    return labels


def seed_thread(mailbox: Mailbox, thread: ThreadSeed, now: float, user_labels: dict[str, str]) -> None:
    """Store one conversation, each reply referencing the messages before it."""
    at = now - thread.days_ago * 86_400
    thread_id: str | None = None
    ids: list[str] = []
    for i, note in enumerate(thread.notes):
        at += note.hours_later * 3_600 if i else 0
        raw = build_message(
            sender=PEOPLE[note.sender],
            to=[PEOPLE[k] for k in note.to],
            cc=[PEOPLE[k] for k in note.cc],
            subject=("Re: " if i else "") + thread.subject,
            text=note.body + "\n",
            at=at,
            in_reply_to=ids[-1] if ids else None,
            references=list(ids) or None,
            attachments=[Attachment(thread.attachment, "application/pdf", PDF)]
            if thread.attachment and not i
            else None,
            message_id=f"<seed.{zlib.crc32(thread.subject.encode())}.{i}@{_domain(note.sender)}>",
        )
        labels = _sender_labels(note.sender, thread, i == len(thread.notes) - 1)
        labels += [user_labels[lb] for lb in thread.labels if lb in user_labels]
        msg = mailbox.add_message(raw, labels, internal_date=int(at * 1000), thread_id=thread_id)
        thread_id = msg.thread_id
        ids.append(msg.header("Message-ID"))


def build_mailbox(now: float) -> Mailbox:
    """Mona's mailbox as seeded."""
    mailbox = Mailbox(OWNER)
    user_labels = {
        name: mailbox.add_label(name).id
        for name in ("Projects/Atlas", "Partners", "Receipts", "Travel", "Newsletters")
    }
    for thread in sorted([*THREADS, *notifications()], key=lambda t: -t.days_ago):
        seed_thread(mailbox, thread, now, user_labels)
    mailbox.truncate_history()
    return mailbox


def add_bulk_messages(mailbox: Mailbox, count: int, now: float) -> None:
    """`count` more single-message threads, a minute apart, for benchmarks."""
    senders = ["lee", "priya", "sam", "dana", "jo", "vendor", "news", "ci"]
    for i in range(count):
        at = now - 40 * 86_400 - i * 60
        raw = build_message(
            sender=PEOPLE[senders[i % len(senders)]],
            to=[PEOPLE["mona"]],
            subject=f"Bulk message {i}",
            text=f"Body of bulk message {i}.\n",
            at=at,
            message_id=f"<bulk-{i}@sandbox.example>",
        )
        mailbox.add_message(raw, ["INBOX"], internal_date=int(at * 1000))

"""RFC 822 messages for Gmail: building the raw mail Charter drafts, reading Gmail's payload trees."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, default
from email.utils import getaddresses
from functools import lru_cache

from charter.connectors.gmail.models import Attachment
from charter.schemas.types import JsonValue

REPLY_PREFIX = re.compile(r"^\s*re\s*:", re.IGNORECASE)
# References grows with each reply; keep the newest ids within a safe header length.
MAX_REFERENCES = 20


@dataclass(frozen=True)
class Outgoing:
    """Everything that goes into one outgoing message."""

    sender: str
    to: Sequence[str]
    subject: str
    text: str
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    html: str | None = None
    in_reply_to: str = ""
    references: str = ""
    extra_headers: Mapping[str, str] = field(default_factory=dict)


def build_raw(mail: Outgoing) -> str:
    """The message as Gmail's `raw` field wants it: RFC 822 bytes, base64url."""
    msg = EmailMessage(policy=SMTP)
    if mail.sender:
        msg["From"] = mail.sender
    msg["To"] = ", ".join(mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    # Kept in the raw mail: Gmail stores Bcc on the draft and the sent copy and strips it for delivery.
    if mail.bcc:
        msg["Bcc"] = ", ".join(mail.bcc)
    msg["Subject"] = mail.subject
    if mail.in_reply_to:
        msg["In-Reply-To"] = mail.in_reply_to
    if mail.references:
        msg["References"] = mail.references
    for name, value in mail.extra_headers.items():
        msg[name] = value
    msg.set_content(mail.text)
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
    return base64.urlsafe_b64encode(msg.as_bytes()).decode()


# Header values up to this long are parsed once per process (a bound on what the cache holds).
_CACHED_HEADER = 2000


def reply_subject(original: str) -> str:
    """`Re: <subject>`, without stacking a second `Re:`."""
    return original if REPLY_PREFIX.match(original) else f"Re: {original}".strip()


def reply_references(references: str, message_id: str) -> str:
    """The References of a reply: the original's References, then the original's Message-ID."""
    ids = re.findall(r"<[^>]+>", references)
    if message_id and message_id not in ids:
        ids.append(message_id)
    return " ".join(ids[-MAX_REFERENCES:])


def addresses(value: str) -> list[str]:
    """The bare addresses in a header value such as `Ana <ana@x.example>, bo@y.example`."""
    if len(value) > _CACHED_HEADER:
        return _parsed_addresses(value)
    return list(_cached_addresses(value)) if value else []


def _parsed_addresses(value: str) -> list[str]:
    return [addr for _, addr in getaddresses([value]) if addr]


@lru_cache(maxsize=1024)
def _cached_addresses(value: str) -> tuple[str, ...]:
    # The same To and Cc recur on most messages of a mailbox, and the email package parses slowly.
    return tuple(_parsed_addresses(value))


def headers_of(payload: JsonValue) -> dict[str, str]:
    """A payload's headers by lower-case name, first value each."""
    out: dict[str, str] = {}
    for header in (payload or {}).get("headers") or []:
        name = str(header.get("name") or "").lower()
        if name and name not in out:
            out[name] = str(header.get("value") or "")
    return out


def decode_data(data: str | None) -> bytes:
    """Gmail's base64url body data, padding restored."""
    if not data:
        return b""
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


@dataclass
class Bodies:
    """The readable parts of a message."""

    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)


def bodies_of(payload: JsonValue) -> Bodies:
    """The first plain-text and HTML bodies and every attachment of a payload tree."""
    found = Bodies()
    texts: list[str] = []
    for part in _walk(payload or {}):
        mime = str(part.get("mimeType") or "").lower()
        body = part.get("body") or {}
        filename = str(part.get("filename") or "")
        if filename or (body.get("attachmentId") and not mime.startswith("multipart/")):
            found.attachments.append(
                Attachment(
                    filename=filename,
                    mime_type=mime or "application/octet-stream",
                    size=int(body.get("size") or 0),
                    attachment_id=body.get("attachmentId"),
                )
            )
        elif mime == "text/plain":
            texts.append(_text(part))
        elif mime == "text/html" and found.html is None:
            found.html = _text(part)
    found.text = texts[0] if texts else ""
    return found


def _walk(part: JsonValue) -> Iterator[JsonValue]:
    yield part
    for child in part.get("parts") or []:
        yield from _walk(child)


def _text(part: JsonValue) -> str:
    raw = decode_data((part.get("body") or {}).get("data"))
    content_type = headers_of(part).get("content-type", "")
    match = re.search(r'charset="?([\w.-]+)"?', content_type, re.IGNORECASE)
    charset = match.group(1) if match else "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Written:
    """What a raw message says, as far as a person reviewing it would notice."""

    to: frozenset[str]
    cc: frozenset[str]
    bcc: frozenset[str]
    subject: str
    text: str


def read_raw(raw: str) -> Written:
    """The recipients, subject and plain text of a base64url raw message."""
    msg = BytesParser(policy=default).parsebytes(decode_data(raw))
    body = msg.get_body(preferencelist=("plain",)) if isinstance(msg, EmailMessage) else None
    text = body.get_content() if isinstance(body, EmailMessage) else ""

    def field_addresses(name: str) -> frozenset[str]:
        return frozenset(a.lower() for a in addresses(", ".join(str(v) for v in msg.get_all(name) or [])))

    return Written(
        to=field_addresses("To"),
        cc=field_addresses("Cc"),
        bcc=field_addresses("Bcc"),
        subject=str(msg.get("Subject") or ""),
        text=normalise_text(str(text)),
    )


def normalise_text(text: str) -> str:
    """Text as compared between a review and a send: line endings and trailing space ignored."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").strip().split("\n"))

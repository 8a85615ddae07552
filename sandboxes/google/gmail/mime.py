"""RFC 822 messages as Gmail shows them: the `payload` part tree, snippet and attachment bodies.

Gmail stores the message as sent (`raw`, base64url) and derives everything else from it: each MIME
part becomes `{partId, mimeType, filename, headers, body}`; leaf bodies carry base64url `data`,
attachments carry an `attachmentId` and `size` instead, fetched with attachments.get.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, make_msgid

from charter.schemas.types import JsonObject

SNIPPET_LENGTH = 200


def b64url(data: bytes) -> str:
    """URL-safe base64 with padding, as Gmail writes `raw` and `body.data`."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def from_b64url(value: str) -> bytes:
    """Decode URL-safe base64 with or without padding (clients send both)."""
    cleaned = value.strip().replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


@dataclass(frozen=True)
class Attachment:
    """A file to attach when building a message."""

    filename: str
    mime_type: str
    data: bytes = field(repr=False)


def build_message(
    *,
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    at: float,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    html_body: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    attachments: list[Attachment] | None = None,
    message_id: str | None = None,
) -> bytes:
    """An RFC 822 message with CRLF line ends: plain text, optionally HTML and attachments."""
    if html_body is None and not attachments:
        plain = _plain_message(sender, to, cc, bcc, subject, text, at, in_reply_to, references, message_id)
        if plain is not None:
            return plain
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if bcc:
        msg["Bcc"] = ", ".join(bcc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.fromtimestamp(at, tz=UTC))
    msg["Message-ID"] = message_id or make_msgid(
        domain=sender.rpartition("@")[2].strip(">") or "mail.gmail.com"
    )
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg["MIME-Version"] = "1.0"
    msg.set_content(text)
    if html_body is not None:
        msg.add_alternative(html_body, subtype="html")
    for item in attachments or []:
        maintype, _, subtype = item.mime_type.partition("/")
        msg.add_attachment(item.data, maintype=maintype, subtype=subtype, filename=item.filename)
    return msg.as_bytes()


def _plain_message(
    sender: str,
    to: list[str],
    cc: list[str] | None,
    bcc: list[str] | None,
    subject: str,
    text: str,
    at: float,
    in_reply_to: str | None,
    references: list[str] | None,
    message_id: str | None,
) -> bytes | None:
    """A single-part ASCII message written directly: the email package's header objects are slow."""
    headers = [("From", sender), ("To", ", ".join(to))]
    headers += [("Cc", ", ".join(cc))] if cc else []
    headers += [("Bcc", ", ".join(bcc))] if bcc else []
    headers += [("Subject", subject), ("Date", format_datetime(datetime.fromtimestamp(at, tz=UTC)))]
    domain = sender.rpartition("@")[2].strip(">") or "mail.gmail.com"
    headers.append(("Message-ID", message_id or make_msgid(domain=domain)))
    headers += [("In-Reply-To", in_reply_to)] if in_reply_to else []
    headers += [("References", " ".join(references))] if references else []
    headers += [
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/plain; charset="utf-8"'),
        ("Content-Transfer-Encoding", "7bit"),
    ]
    body = text.replace("\r\n", "\n").replace("\n", "\r\n")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers)
    if not (head + body).isascii() or any(len(line) > 900 for line in body.split("\r\n")):
        return None
    return (head + "\r\n" + body).encode("ascii")


@dataclass
class ParsedMessage:
    """What Gmail derives from a raw message."""

    headers: list[tuple[str, str]]
    payload: JsonObject
    snippet: str
    text: str
    attachments: dict[str, bytes] = field(repr=False)
    filenames: list[str]

    def header(self, name: str) -> str:
        """The first value of header `name` ('' when absent), case-insensitively."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), "")

    def addresses(self, *names: str) -> list[str]:
        """Email addresses in the given headers, lower-cased."""
        values = [v for k, v in self.headers if k.lower() in {n.lower() for n in names}]
        return [addr.lower() for _, addr in getaddresses(values) if addr]


def parse_raw(raw: bytes, message_id: str) -> ParsedMessage:
    """Parse a message into Gmail's payload tree; attachment ids are derived from `message_id`."""
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    attachments: dict[str, bytes] = {}
    filenames: list[str] = []
    texts: list[str] = []
    payload = _part(msg, "", message_id, attachments, filenames, texts)
    text = texts[0] if texts else ""
    headers = [(k, _header_text(v)) for k, v in msg.items()]
    return ParsedMessage(headers, payload, make_snippet(text), text, attachments, filenames)


def _header_text(value: object) -> str:
    """A header value unfolded, with RFC 2047 encoded words decoded."""
    text = re.sub(r"\r?\n[ \t]+", " ", str(value))
    if "=?" not in text:
        return text
    try:
        return str(make_header(decode_header(text)))
    except (ValueError, LookupError):
        return text


def make_snippet(text: str) -> str:
    """The start of the text body, whitespace collapsed and HTML-escaped the way Gmail does."""
    collapsed = re.sub(r"\s+", " ", text).strip()
    return html.escape(collapsed[:SNIPPET_LENGTH], quote=True).replace("&#x27;", "&#39;")


def attachment_id(message_id: str, part_id: str) -> str:
    """A stable, opaque attachment id for one part of one message."""
    digest = hashlib.sha256(f"{message_id}/{part_id}".encode()).digest()
    return "ANGjdJ" + base64.urlsafe_b64encode(digest * 3).decode().rstrip("=")


def _part(
    msg: Message,
    part_id: str,
    message_id: str,
    attachments: dict[str, bytes],
    filenames: list[str],
    texts: list[str],
) -> JsonObject:
    filename = msg.get_filename() or ""
    out: JsonObject = {
        "partId": part_id,
        "mimeType": msg.get_content_type(),
        "filename": filename,
        "headers": [{"name": k, "value": _header_text(v)} for k, v in msg.items()],
    }
    if msg.is_multipart():
        out["body"] = {"size": 0}
        children = msg.get_payload()
        assert isinstance(children, list)
        prefix = f"{part_id}." if part_id else ""
        out["parts"] = [
            _part(child, f"{prefix}{i}", message_id, attachments, filenames, texts)
            for i, child in enumerate(children)
        ]
        return out
    data = msg.get_payload(decode=True)
    content = data if isinstance(data, bytes) else b""
    if filename:
        ident = attachment_id(message_id, part_id)
        attachments[ident] = content
        filenames.append(filename)
        out["body"] = {"attachmentId": ident, "size": len(content)}
        return out
    if msg.get_content_type() == "text/plain":
        texts.append(content.decode(msg.get_content_charset() or "utf-8", "replace"))
    out["body"] = {"size": len(content), "data": b64url(content)} if content else {"size": 0}
    return out

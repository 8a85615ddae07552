"""Reading Google batch bodies: multipart/mixed parts that each hold a whole HTTP request or response."""

from __future__ import annotations

from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from urllib.parse import urlsplit


@dataclass
class BatchPart:
    """One request inside a batch."""

    content_id: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = field(repr=False)


@dataclass
class BatchAnswer:
    """One response inside a batch answer."""

    content_id: str
    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)


def _split_http(data: bytes) -> tuple[str, dict[str, str], bytes]:
    text = data.replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    lines = head.decode("utf-8", "replace").split("\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers, body.rstrip(b"\n")


def parse_http_request(data: bytes, content_id: str) -> BatchPart:
    """An embedded `application/http` request: request line, headers, blank line, body."""
    first, headers, body = _split_http(data)
    words = first.split(" ")
    url = urlsplit(words[1] if len(words) > 1 else "")
    return BatchPart(content_id, words[0].upper(), url.path, url.query, headers, body)


def _parts(content_type: str, body: bytes) -> list[Message]:
    if not content_type.lower().startswith("multipart/mixed"):
        raise ValueError("a batch body must be multipart/mixed")
    message = BytesParser(policy=policy.compat32).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    payload = message.get_payload()
    if not message.is_multipart() or not isinstance(payload, list):
        raise ValueError("the batch body has no parts")
    return [part for part in payload if isinstance(part, Message)]


def _payload(part: Message) -> bytes:
    raw = part.get_payload(decode=False)
    return raw.encode("utf-8") if isinstance(raw, str) else b""


def parse_batch(content_type: str, body: bytes) -> list[BatchPart]:
    """The requests of a multipart/mixed batch body; ValueError when it is not one."""
    return [
        parse_http_request(_payload(part), str(part.get("Content-ID", f"<item{i}>")).strip())
        for i, part in enumerate(_parts(content_type, body))
    ]


def parse_batch_answer(content_type: str, body: bytes) -> list[BatchAnswer]:
    """The responses of a batch answer, in order; ValueError when it is not multipart/mixed."""
    answers: list[BatchAnswer] = []
    for part in _parts(content_type, body):
        first, headers, payload = _split_http(_payload(part))
        status = first.split(" ")[1] if first.count(" ") >= 1 else ""
        if not status.isdigit():
            raise ValueError(f"a batch answer part has no HTTP status line: {first!r}")
        answers.append(BatchAnswer(str(part.get("Content-ID", "")).strip(), int(status), headers, payload))
    return answers

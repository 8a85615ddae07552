"""Google's batch endpoint: one multipart/mixed request carrying up to 100 API calls.

Each part is an `application/http` request; each answer part echoes its `Content-ID` as
`<response-…>` and embeds a complete `HTTP/1.1` response. Parts are dispatched one by one through
the same pipeline as plain requests, so each is authenticated (by its own Authorization header,
else the outer one), scope-checked, charged against quota and subject to the armed faults.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from charter.sandboxes.framework import Reply
from charter.sandboxes.google.api import JSON_TYPE, dispatch
from charter.sandboxes.google.errors import GoogleError

if TYPE_CHECKING:
    from charter.sandboxes.google.sandbox import GoogleSandbox

MAX_PARTS = 100


@dataclass
class BatchPart:
    """One request inside a batch."""

    content_id: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = field(repr=False)


def parse_http_request(data: bytes, content_id: str) -> BatchPart:
    """An embedded `application/http` request: request line, headers, blank line, body."""
    text = data.replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    lines = head.decode("utf-8", "replace").split("\n")
    method, target, *_ = ([*lines[0].split(" "), "", ""])[:3]
    url = urlsplit(target)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return BatchPart(
        content_id, method.upper(), url.path, url.query, headers, body.rstrip(b"\n") if body else b""
    )


def parse_batch(content_type: str, body: bytes) -> list[BatchPart]:
    """The parts of a multipart/mixed batch body; ValueError when it is not one."""
    if not content_type.lower().startswith("multipart/mixed"):
        raise ValueError("a batch request must be multipart/mixed")
    message = BytesParser(policy=policy.compat32).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("the batch body has no parts")
    parts: list[BatchPart] = []
    for i, part in enumerate(message.get_payload()):
        raw = part.get_payload(decode=False)
        data = raw.encode("utf-8") if isinstance(raw, str) else b""
        parts.append(parse_http_request(data, str(part.get("Content-ID", f"<item{i}>")).strip()))
    return parts


def _response_id(content_id: str) -> str:
    inner = content_id.strip()
    if inner.startswith("<") and inner.endswith(">"):
        inner = inner[1:-1]
    return f"<response-{inner}>"


def render_part(content_id: str, reply: Reply) -> bytes:
    """One answer part: headers, then the embedded HTTP/1.1 response."""
    reason = HTTPStatus(reply.status).phrase if reply.status in HTTPStatus._value2member_map_ else ""
    lines = [f"HTTP/1.1 {reply.status} {reason}"]
    lines += [f"{k.title()}: {v}" for k, v in reply.headers if k.lower() != "content-length"]
    lines.append(f"Content-Length: {len(reply.body)}")
    head = "Content-Type: application/http\r\nContent-ID: " + _response_id(content_id) + "\r\n\r\n"
    return head.encode() + "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + reply.body


def run_part(sandbox: GoogleSandbox, part: BatchPart, outer_auth: str | None) -> Reply:
    """Answer one part, with faults armed for its own method and path applied first."""
    decision = sandbox.faults.decide(part.method, part.path)
    if decision.kind in ("fail", "rate_limit", "drop_before", "drop_after"):
        return sandbox.fault_reply(decision, part.method, part.path)
    headers = dict(part.headers)
    if "authorization" not in headers and outer_auth:
        headers["authorization"] = outer_auth
    return dispatch(sandbox, part.method, part.path, part.query, headers, part.body)


async def batch(request: Request) -> Response:
    """POST /batch, /batch/gmail/v1, /batch/calendar/v3."""
    sandbox: GoogleSandbox = request.app.state.sandbox
    body = await request.body()
    try:
        parts = parse_batch(request.headers.get("content-type", ""), body)
    except ValueError as exc:
        return _refuse(GoogleError(400, f"Failed to parse batch request: {exc}", reason="badRequest"))
    if len(parts) > MAX_PARTS:
        message = f"A batch request cannot contain more than {MAX_PARTS} requests; it had {len(parts)}."
        return _refuse(GoogleError(400, message, reason="badRequest"))
    outer = request.headers.get("authorization")
    boundary = "batch_" + secrets.token_hex(12)
    chunks = [
        b"--" + boundary.encode() + b"\r\n" + render_part(p.content_id, run_part(sandbox, p, outer))
        for p in parts
    ]
    payload = b"\r\n".join(chunks) + b"\r\n--" + boundary.encode() + b"--\r\n"
    return Response(payload, headers={"content-type": f"multipart/mixed; boundary={boundary}"})


def _refuse(error: GoogleError) -> Response:
    return Response(error.payload(), status_code=error.code, headers={"content-type": JSON_TYPE})

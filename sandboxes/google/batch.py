"""Google's batch endpoint: one multipart/mixed request carrying up to 100 API calls.

Each part is an `application/http` request; each answer part echoes its `Content-ID` as
`<response-…>` and embeds a complete `HTTP/1.1` response. Parts are dispatched one by one through
the same pipeline as plain requests, so each is authenticated (by its own Authorization header,
else the outer one), scope-checked, charged against quota and subject to the armed faults.
"""

from __future__ import annotations

import secrets
from http import HTTPStatus
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from charter.sandboxes.framework import Reply
from charter.sandboxes.google.api import JSON_TYPE, dispatch
from charter.sandboxes.google.errors import GoogleError
from charter.sandboxes.google.multipart import BatchPart, parse_batch

if TYPE_CHECKING:
    from charter.sandboxes.google.sandbox import GoogleSandbox

MAX_PARTS = 100


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

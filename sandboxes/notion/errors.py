"""Notion's error answers: `{"object":"error","status","code","message","request_id"}`."""

from __future__ import annotations

import json
import uuid

from charter.sandboxes.framework import Reply

# Notion's codes and the status each comes with (developers.notion.com, reference/status-codes).
STATUS = {
    "invalid_json": 400,
    "invalid_request_url": 400,
    "invalid_request": 400,
    "invalid_grant": 400,
    "validation_error": 400,
    "missing_version": 400,
    "unauthorized": 401,
    "restricted_resource": 403,
    "object_not_found": 404,
    "conflict_error": 409,
    "rate_limited": 429,
    "internal_server_error": 500,
    "bad_gateway": 502,
    "service_unavailable": 503,
    "gateway_timeout": 504,
}
CODE_FOR_STATUS = {
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def request_id() -> str:
    return str(uuid.uuid4())


class NotionError(Exception):
    """An error answer; raised anywhere in a handler, turned into Notion's body by the endpoint."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = STATUS[code]
        self.message = message
        self.retry_after = retry_after

    def reply(self) -> Reply:
        body = {
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": request_id(),
        }
        headers = [("content-type", "application/json; charset=utf-8")]
        if self.retry_after is not None:
            headers.append(("retry-after", str(self.retry_after)))
        return Reply(self.status, headers, json.dumps(body).encode())


def invalid(message: str) -> NotionError:
    """A 400 validation_error with Notion's `body failed validation: ...` wording."""
    return NotionError("validation_error", message)


def not_found(object_id: str, kind: str = "block") -> NotionError:
    """Notion's 404, also its answer for an object that exists but is not shared with the integration."""
    return NotionError(
        "object_not_found",
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and databases "
        "are shared with your integration.",
    )


def restricted() -> NotionError:
    """403: the integration lacks the capability this endpoint needs."""
    return NotionError("restricted_resource", "Insufficient permissions for this endpoint.")

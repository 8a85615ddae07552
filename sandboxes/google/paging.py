"""Opaque page and sync tokens: a small JSON cursor, base64url-encoded, bound to the query it pages."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from charter.sandboxes.google.errors import GoogleError


def fingerprint(*parts: object) -> str:
    """A short digest of the query a token belongs to, so a token is refused on another query."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def encode(cursor: dict[str, Any]) -> str:
    """An opaque token for `cursor`."""
    raw = json.dumps(cursor, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, query: str, *, error: GoogleError | None = None) -> dict[str, Any]:
    """The cursor inside `token`, which must belong to the query fingerprinted as `query`."""
    refusal = error or GoogleError(400, "Invalid pageToken", reason="invalidArgument")
    try:
        cursor = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except ValueError:
        raise refusal from None
    if not isinstance(cursor, dict) or cursor.get("q") != query:
        raise refusal
    return cursor

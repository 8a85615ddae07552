"""Opaque cursors: a Gmail page token or history id, bound to the listing it belongs to."""

from __future__ import annotations

import base64
import hashlib
import json

from pydantic import BaseModel

from charter.schemas import ValidationError


def _listing(request: BaseModel) -> str:
    # A cursor continues only the listing it came from, so an agent cannot carry a page token of
    # one search over to another query than the one its request names.
    fields = request.model_dump(mode="json", exclude={"cursor"})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def encode_cursor(request: BaseModel, token: str) -> str:
    """The cursor continuing the listing `request` describes from Gmail's `token`."""
    raw = json.dumps({"t": token, "of": _listing(request)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def token_of(request: BaseModel) -> str | None:
    """Gmail's token in a request's cursor (None without one); refuses foreign or forged cursors."""
    cursor: str | None = getattr(request, "cursor", None)
    if cursor is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        token, listing = data["t"], data["of"]
    except (ValueError, KeyError, TypeError):
        raise ValidationError(
            "cursor is not one this connector issued; pass the cursor it returned unchanged, or omit it "
            "to start again."
        ) from None
    if not isinstance(token, str) or listing != _listing(request):
        raise ValidationError(
            "cursor belongs to a different listing; keep every other argument as it was, or omit the "
            "cursor to start again."
        )
    return token

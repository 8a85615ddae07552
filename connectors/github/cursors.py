"""Opaque page cursors: a page number bound to the listing it belongs to."""

from __future__ import annotations

import base64
import hashlib
import json

from pydantic import BaseModel

from charter.schemas import ValidationError


def _listing(request: BaseModel) -> str:
    # A cursor names only a page of the listing it came from, so an agent cannot point it at
    # another repository or another query than the one its request (and its grant) names.
    fields = request.model_dump(mode="json", exclude={"cursor"})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def encode_cursor(request: BaseModel, page: int) -> str:
    """The cursor for `page` of the listing `request` describes."""
    raw = json.dumps({"page": page, "of": _listing(request)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_of(request: BaseModel) -> int:
    """The page a request's cursor asks for (1 without a cursor); refuses foreign or forged cursors."""
    cursor: str | None = getattr(request, "cursor", None)
    if cursor is None:
        return 1
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        page, listing = data["page"], data["of"]
    except (ValueError, KeyError, TypeError):
        raise ValidationError(
            "cursor is not one this connector issued; pass `next_cursor` from the previous page "
            "unchanged, or omit it for the first page."
        ) from None
    if not isinstance(page, int) or page < 1 or listing != _listing(request):
        raise ValidationError(
            "cursor belongs to a different listing; keep every other argument as it was for the "
            "first page, or omit the cursor to start again."
        )
    return page

"""Opaque page cursors: Google's page token bound to the listing it belongs to."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from pydantic import BaseModel

from charter.schemas import ValidationError


@dataclass(frozen=True)
class Position:
    """Where a listing continues: Google's page token, and whether a sync fell back to a full listing."""

    page_token: str | None = None
    full_sync: bool = False


def _listing(request: BaseModel) -> str:
    # A cursor continues only the listing it came from, so an agent cannot point it at another
    # calendar or window than the one its request (and its grant) names.
    fields = request.model_dump(mode="json", exclude={"cursor"})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def encode_cursor(request: BaseModel, position: Position) -> str:
    """The cursor continuing the listing `request` describes at `position`."""
    data = {"t": position.page_token, "of": _listing(request), "full": position.full_sync}
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def position_of(request: BaseModel) -> Position:
    """Where a request's cursor says to continue (the start without one); refuses foreign cursors."""
    cursor: str | None = getattr(request, "cursor", None)
    if cursor is None:
        return Position()
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        token, listing, full = data["t"], data["of"], data["full"]
    except (ValueError, KeyError, TypeError):
        raise ValidationError(
            "cursor is not one this connector issued; pass `next_cursor` from the previous page "
            "unchanged, or omit it for the first page."
        ) from None
    if not isinstance(token, str) or not isinstance(full, bool) or listing != _listing(request):
        raise ValidationError(
            "cursor belongs to a different listing; keep every other argument as it was for the "
            "first page, or omit the cursor to start again."
        )
    return Position(token, full)

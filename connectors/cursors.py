"""Opaque cursors for connectors: a continuation point sealed to the listing it belongs to."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel

from charter.schemas import ValidationError

UNREADABLE = (
    "cursor is not one this connector issued; pass `next_cursor` from the previous page "
    "unchanged, or omit it for the first page."
)
FOREIGN = (
    "cursor belongs to a different listing; keep every other argument as it was for the "
    "first page, or omit the cursor to start again."
)


def _listing(request: BaseModel) -> str:
    # A cursor continues only the listing it came from, so an agent cannot point it at another
    # repository, query or calendar than the one its request (and its grant) names.
    fields = request.model_dump(mode="json", exclude={"cursor"})
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def seal(request: BaseModel, position: Mapping[str, object]) -> str:
    """The cursor carrying `position` within the listing `request` describes."""
    raw = json.dumps({**position, "of": _listing(request)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unseal(
    request: BaseModel,
    keys: Sequence[str],
    valid: Callable[[dict[str, object]], bool],
    *,
    unreadable: str = UNREADABLE,
    foreign: str = FOREIGN,
) -> dict[str, object] | None:
    """The `keys` of a request's cursor (None without one); refuses foreign, forged or invalid ones."""
    cursor: str | None = getattr(request, "cursor", None)
    if cursor is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        position = {key: data[key] for key in keys}
        listing = data["of"]
    except (ValueError, KeyError, TypeError):
        raise ValidationError(unreadable) from None
    if not valid(position) or listing != _listing(request):
        raise ValidationError(foreign)
    return position


__all__ = ["FOREIGN", "UNREADABLE", "seal", "unseal"]

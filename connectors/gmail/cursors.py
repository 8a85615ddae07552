"""Opaque cursors: a Gmail page token or history id, bound to the listing it belongs to."""

from __future__ import annotations

from pydantic import BaseModel

from charter.connectors.cursors import seal, unseal

UNREADABLE = (
    "cursor is not one this connector issued; pass the cursor it returned unchanged, or omit it "
    "to start again."
)
FOREIGN = (
    "cursor belongs to a different listing; keep every other argument as it was, or omit the "
    "cursor to start again."
)


def encode_cursor(request: BaseModel, token: str) -> str:
    """The cursor continuing the listing `request` describes from Gmail's `token`."""
    return seal(request, {"t": token})


def token_of(request: BaseModel) -> str | None:
    """Gmail's token in a request's cursor (None without one); refuses foreign or forged cursors."""
    position = unseal(
        request, ("t",), lambda p: isinstance(p["t"], str), unreadable=UNREADABLE, foreign=FOREIGN
    )
    return None if position is None else str(position["t"])

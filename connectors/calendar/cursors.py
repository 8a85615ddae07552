"""Opaque page cursors: Google's page token bound to the listing it belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from charter.connectors.cursors import seal, unseal


@dataclass(frozen=True)
class Position:
    """Where a listing continues: Google's page token, and whether a sync fell back to a full listing."""

    page_token: str | None = None
    full_sync: bool = False


def encode_cursor(request: BaseModel, position: Position) -> str:
    """The cursor continuing the listing `request` describes at `position`."""
    return seal(request, {"t": position.page_token, "full": position.full_sync})


def position_of(request: BaseModel) -> Position:
    """Where a request's cursor says to continue (the start without one); refuses foreign cursors."""
    found = unseal(
        request,
        ("t", "full"),
        lambda p: isinstance(p["t"], str) and isinstance(p["full"], bool),
    )
    return Position() if found is None else Position(str(found["t"]), bool(found["full"]))

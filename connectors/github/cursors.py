"""Opaque page cursors: a page number bound to the listing it belongs to."""

from __future__ import annotations

from typing import cast

from pydantic import BaseModel

from charter.connectors.cursors import seal, unseal


def encode_cursor(request: BaseModel, page: int) -> str:
    """The cursor for `page` of the listing `request` describes."""
    return seal(request, {"page": page})


def page_of(request: BaseModel) -> int:
    """The page a request's cursor asks for (1 without a cursor); refuses foreign or forged cursors."""
    position = unseal(request, ("page",), lambda p: isinstance(p["page"], int) and p["page"] >= 1)
    return 1 if position is None else cast(int, position["page"])

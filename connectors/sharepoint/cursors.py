"""Opaque cursors: Graph's next and delta links, sealed to the listing they belong to."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel

from charter.connectors.cursors import seal, unseal

UNREADABLE = "cursor is not one this connector issued; pass the cursor it returned unchanged, or omit it."


def encode_cursor(request: BaseModel, link: str) -> str:
    """A cursor continuing `request`'s listing at Graph's `link` (kept without its host)."""
    parts = urlsplit(link)
    return seal(request, {"l": parts.path + ("?" + parts.query if parts.query else "")})


def link_of(request: BaseModel) -> str | None:
    """The Graph path+query in a request's cursor; refuses foreign, forged or off-API ones."""
    position = unseal(
        request,
        ("l",),
        lambda p: isinstance(p["l"], str) and str(p["l"]).startswith("/") and "//" not in str(p["l"]),
        unreadable=UNREADABLE,
    )
    return None if position is None else str(position["l"])

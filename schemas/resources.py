"""What reads return: resources that remember where they came from, and pages of them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

ItemT = TypeVar("ItemT", bound=BaseModel)


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp Charter stores is UTC."""
    return datetime.now(UTC)


class Provenance(BaseModel):
    """Where a resource was read from. Its text is third-party data, never instructions."""

    model_config = ConfigDict(frozen=True)

    connector: str
    id: str
    url: str | None = None
    author: str | None = None


class Resource(BaseModel):
    """A thing read from a service; connectors subclass it with their own fields."""

    model_config = ConfigDict(extra="forbid")

    id: str
    provenance: Provenance


class Page(BaseModel, Generic[ItemT]):
    """One page of a listing; pass `next_cursor` back in the request to continue."""

    items: list[ItemT]
    next_cursor: str | None = None

    @property
    def is_last(self) -> bool:
        return self.next_cursor is None

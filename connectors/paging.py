"""Pagination guarded at runtime: a listing that repeats a cursor or never ends is an error, not a loop."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

from charter.schemas import UpstreamError

# More pages than any listing Charter follows in one call can have (10,000 pages of 100 items).
MAX_PAGES = 10_000

C = TypeVar("C", bound=Hashable)


class PageTrail:
    """The cursors one listing has followed; every paginating loop passes its next cursor through `follow`."""

    def __init__(self, service: str, subject: str, *, limit: int = MAX_PAGES) -> None:
        self.service = service
        self.subject = subject
        self.limit = limit
        self.pages = 1
        self._seen: set[Hashable] = set()

    def __repr__(self) -> str:
        return f"PageTrail({self.service!r}, {self.subject!r}, pages={self.pages}, limit={self.limit})"

    def follow(self, cursor: C | None) -> C | None:
        """`cursor` when it leads to a page not read yet; None at the end of the listing.

        Raises `UpstreamError` when the service hands back a cursor it already gave (it would be read
        again forever) or when the listing runs past `limit` pages.
        """
        if cursor is None or cursor == "":
            return None
        if cursor in self._seen:
            raise UpstreamError(
                f"{self.service} sent the same page cursor twice while listing {self.subject}; "
                "stopped instead of reading it again. Try again later.",
                pages=self.pages,
            )
        if self.pages >= self.limit:
            raise UpstreamError(
                f"{self.service} did not finish listing {self.subject} within {self.limit} pages; "
                "stopped. Narrow the request or try again later.",
                pages=self.pages,
            )
        self._seen.add(cursor)
        self.pages += 1
        return cursor


__all__ = ["MAX_PAGES", "PageTrail"]

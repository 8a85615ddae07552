"""Where a Notion object sits: what kind a parent id is, a database's data source, and ancestry.

Grants limit an agent to some pages and data sources and everything below them. An agent names
the granted one in `within`; Charter walks the target's parents up through Notion until it meets
it, so a page outside is refused before anything is read from it or written to it.
"""

from __future__ import annotations

from collections.abc import Callable

from charter.connectors.notion.client import NotionApi
from charter.schemas import GrantDenied, NotFound, ValidationError
from charter.schemas.types import JsonObject

MAX_ANCESTRY = 64


class Locator:
    """Resolves ids through the API, remembering parents and schemas for `ttl` seconds.

    Short-lived on purpose: a page moved out of a granted tree must stop counting as inside it.
    """

    def __init__(self, api: NotionApi, clock: Callable[[], float], ttl: float = 30.0) -> None:
        self.api = api
        self.clock = clock
        self.ttl = ttl
        self._parents: dict[str, tuple[str | None, float]] = {}
        self._sources: dict[str, tuple[JsonObject, float]] = {}

    def page(self, page_id: str) -> JsonObject:
        page = self.api.call(
            f"page {page_id}", self.api.client.pages.retrieve, about=page_id, page_id=page_id
        )
        self.remember(page)
        return page

    def data_source(self, source_id: str) -> JsonObject:
        """A data source by its id, or the only data source of a database given by its id."""
        cached = self._sources.get(source_id)
        if cached is not None and self.clock() - cached[1] < self.ttl:
            return cached[0]
        source = self._fetch_data_source(source_id)
        self._sources[source_id] = (source, self.clock())
        return source

    def _fetch_data_source(self, source_id: str) -> JsonObject:
        client = self.api.client
        try:
            source = self.api.call(
                f"data source {source_id}",
                client.data_sources.retrieve,
                about=source_id,
                data_source_id=source_id,
            )
        except NotFound:
            database = self.api.call(
                f"data source or database {source_id}",
                client.databases.retrieve,
                about=source_id,
                database_id=source_id,
            )
            sources = database.get("data_sources") or []
            if len(sources) != 1:
                names = ", ".join(f"{s.get('name')} ({s.get('id')})" for s in sources) or "none"
                raise ValidationError(
                    f"database {source_id} holds {len(sources)} data sources ({names}); name one of them."
                ) from None
            source_id = str(sources[0]["id"])
            source = self.api.call(
                f"data source {source_id}",
                client.data_sources.retrieve,
                about=source_id,
                data_source_id=source_id,
            )
        self.remember(source)
        return source

    def parent_kind(self, parent_id: str) -> tuple[str, JsonObject]:
        """("page", page) or ("data_source", data source) for a page, data source or database id."""
        try:
            return "page", self.page(parent_id)
        except NotFound:
            return "data_source", self.data_source(parent_id)

    def remember(self, data: JsonObject) -> None:
        parent = data.get("parent") or {}
        kind = parent.get("type")
        value = parent.get(str(kind)) if kind else None
        if data.get("object") == "page" and kind == "data_source_id":
            value = parent.get("data_source_id")
        self._parents[str(data["id"])] = (value if isinstance(value, str) else None, self.clock())

    def _parent(self, object_id: str) -> str | None:
        known = self._parents.get(object_id)
        if known is None or self.clock() - known[1] >= self.ttl:
            client = self.api.client
            for method, key in (
                (client.pages.retrieve, "page_id"),
                (client.blocks.retrieve, "block_id"),
                (client.data_sources.retrieve, "data_source_id"),
                (client.databases.retrieve, "database_id"),
            ):
                try:
                    self.remember(
                        self.api.call(f"object {object_id}", method, about=object_id, **{key: object_id})
                    )
                    break
                except (NotFound, ValidationError):
                    continue
            else:
                self._parents[object_id] = (None, self.clock())
        return self._parents[object_id][0]

    def inside(self, target: str, within: str) -> bool:
        """Whether `target` is `within` or lies below it."""
        current: str | None = target
        seen: set[str] = set()
        for _ in range(MAX_ANCESTRY):
            if current is None or current in seen:
                return False
            if _same(current, within):
                return True
            seen.add(current)
            current = self._parent(current)
        return False

    def check_within(self, target: str, within: str | None) -> None:
        """Refuse, before any other request, a target outside the granted `within`."""
        if within is None or _same(target, within):
            return
        if not self.inside(target, within):
            raise GrantDenied(
                f"{target} is not inside {within}, the page or data source this call is limited to; "
                "nothing was read or changed.",
                reason="outside_constraint",
            )


def _same(a: str, b: str) -> bool:
    return a.replace("-", "").lower() == b.replace("-", "").lower()

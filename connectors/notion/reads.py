"""The connector's reads: search, budgeted content, Markdown parts, data source queries, comments.

Notion has no change feed, so a repeat read of a data source filters on `last_edited_time`, which
Notion keeps to the minute; `charter.connectors.notion.watermark` tells which rows of that minute
were already returned as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from charter.connectors.cursors import seal, unseal
from charter.connectors.notion import walker
from charter.connectors.notion.access import Locator
from charter.connectors.notion.blocks import markdown_line
from charter.connectors.notion.client import NotionApi
from charter.connectors.notion.models import (
    CONNECTOR,
    GetPageContent,
    ListComments,
    NotionComment,
    PageContent,
    PageText,
    QueryDataSource,
    ReadPageText,
    Row,
    RowPage,
    Search,
    SearchResult,
)
from charter.connectors.notion.properties import filter_out, sorts_out
from charter.connectors.notion.responses import block_item, comment_from, row_from, search_result_from
from charter.connectors.notion.watermark import Fingerprints, Watermark, following, fresh
from charter.schemas import Page, Provenance
from charter.schemas.types import JsonObject


def _cursor_of(request: Any) -> str | None:
    position = unseal(request, ("c",), lambda p: isinstance(p["c"], str) and 0 < len(p["c"]) <= 500)
    return None if position is None else str(position["c"])


def _next(request: Any, page: JsonObject) -> str | None:
    cursor = page.get("next_cursor") if page.get("has_more") else None
    return seal(request, {"c": cursor}) if cursor else None


def _start(cursor: str | None) -> JsonObject:
    return {"start_cursor": cursor} if cursor else {}


def _minute(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def search(api: NotionApi, locate: Locator, request: Search) -> Page[SearchResult]:
    body: JsonObject = {"query": request.query, "page_size": request.page_size, **_start(_cursor_of(request))}
    body["sort"] = {"direction": "descending", "timestamp": "last_edited_time"}
    if request.kind:
        body["filter"] = {"property": "object", "value": request.kind}
    page = api.call(f"searching for {request.query!r}", api.client.search, **body)
    results = page.get("results", [])
    since = _minute(request.edited_since) if request.edited_since else None
    fresh = [r for r in results if since is None or str(r["last_edited_time"]) >= since]
    if request.within is not None:
        fresh = [r for r in fresh if locate.inside(str(r["id"]), request.within)]
    # Newest first: once a result is older than edited_since, everything after it is too.
    stale = (
        since is not None
        and len(fresh) < len(results)
        and bool(results)
        and str(results[-1]["last_edited_time"]) < since
    )
    return Page[SearchResult](
        items=[search_result_from(r) for r in fresh], next_cursor=None if stale else _next(request, page)
    )


def _fetcher(api: NotionApi) -> walker.FetchChildren:
    def fetch(parent: str, start: str | None) -> JsonObject:
        return api.call(
            f"the content of {parent}", api.client.blocks.children.list, about=parent,
            block_id=parent, page_size=100, **_start(start),
        )  # fmt: skip

    return fetch


def page_content(api: NotionApi, request: GetPageContent) -> PageContent:
    fetch = _fetcher(api)
    frames = walker.decode(request, request.page_id, "max_blocks", fetch)
    done = walker.walk(fetch, frames, request.depth, lambda blocks: len(blocks) < request.max_blocks)
    items = [block_item(b, depth, parent, request.depth) for b, depth, parent in done.blocks]
    cursor = walker.encode(request, done.frames, "max_blocks")
    note = (
        f"all {len(items)} blocks read"
        if cursor is None
        else f"read {len(items)} blocks (max_blocks); more follow: call again with this next_cursor, "
        "optionally with a larger max_blocks (up to 1000)"
    )
    return PageContent(
        id=request.page_id,
        provenance=Provenance(connector=CONNECTOR, id=request.page_id),
        blocks=items,
        complete=cursor is None,
        next_cursor=cursor,
        note=note,
    )


def page_text(api: NotionApi, request: ReadPageText) -> PageText:
    fetch = _fetcher(api)
    frames = walker.decode(request, request.page_id, "max_chars", fetch)
    lines: list[str] = []
    used = [0]

    def room(blocks: list[tuple[JsonObject, int, str]]) -> bool:
        while len(lines) < len(blocks):
            block, depth, _ = blocks[len(lines)]
            lines.append(markdown_line(block, depth))
            used[0] += len(lines[-1]) + 1
        return used[0] < request.max_chars

    done = walker.walk(fetch, frames, request.depth, room)
    room(done.blocks)
    text = "\n".join(lines)
    if len(text) > request.max_chars:
        text = text[: request.max_chars] + " …(this block continues; get_page_content has it whole)"
    cursor = walker.encode(request, done.frames, "max_chars")
    return PageText(
        id=request.page_id,
        provenance=Provenance(connector=CONNECTOR, id=request.page_id),
        markdown=text,
        complete=cursor is None,
        next_cursor=cursor,
        blocks_read=len(done.blocks),
    )


def _since(request: QueryDataSource) -> Watermark:
    if request.since_watermark:
        return Watermark.decode(request.since_watermark)
    if request.edited_since:
        return Watermark(_minute(request.edited_since))
    return Watermark(None)


def query(api: NotionApi, source: JsonObject, request: QueryDataSource, now: float) -> RowPage:
    """One page of rows; `now` (seconds since the epoch) tells whether the watermark's minute is over."""
    schema = source.get("properties") or {}
    condition = filter_out(schema, list(request.filters), request.match)
    mark = _since(request)
    minute = mark.minute
    if minute is not None:
        edited = {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": minute}}
        condition = edited if condition is None else {"and": [condition, edited]}
    body: JsonObject = {"page_size": request.page_size, **_start(_cursor_of(request))}
    if condition is not None:
        body["filter"] = condition
    if request.sorts:
        body["sorts"] = sorts_out(schema, list(request.sorts))
    elif minute is not None:
        # Oldest change first, so the last page's watermark is the latest minute of the whole read.
        body["sorts"] = [{"timestamp": "last_edited_time", "direction": "ascending"}]
    page = api.call(
        f"querying data source {source['id']}", api.client.data_sources.query, about=str(source["id"]),
        data_source_id=str(source["id"]), **body,
    )  # fmt: skip
    results = [r for r in page.get("results", []) if r.get("object") == "page"]
    prints = Fingerprints(api)
    following_mark = following(results, mark, prints, now)
    return RowPage(
        items=[row_from(r) for r in fresh(results, mark, prints)],
        next_cursor=_next(request, page),
        watermark=following_mark.encode() if following_mark else None,
    )


def comments(api: NotionApi, request: ListComments) -> Page[NotionComment]:
    page = api.call(
        f"the comments on {request.page_id}", api.client.comments.list, about=request.page_id,
        block_id=request.page_id, page_size=request.page_size, **_start(_cursor_of(request)),
    )  # fmt: skip
    return Page[NotionComment](
        items=[comment_from(c) for c in page.get("results", [])], next_cursor=_next(request, page)
    )


__all__ = ["Row", "comments", "page_content", "page_text", "query", "search"]

"""The Notion connector: search, pages, content, data sources and comments, over notion-client.

Capabilities stand in for scopes (see `charter.auth.providers.notion`). Reads of content stay
within a block or character budget and say how to continue; writes are split to Notion's limits,
end with a visible attribution line, and carry a reference that lets a retry find what an earlier
attempt created.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any, ClassVar

from pydantic import BaseModel

from charter.auth.providers.notion import (
    INSERT_COMMENTS,
    INSERT_CONTENT,
    READ_COMMENTS,
    READ_CONTENT,
    UPDATE_CONTENT,
)
from charter.connectors.base import ActionSpec, Attribution, Connector, DraftPreview, WriteContext, action
from charter.connectors.notion import reads
from charter.connectors.notion.access import Locator
from charter.connectors.notion.blocks import Planned, footer, from_markdown, plain, plan, rich_text
from charter.connectors.notion.client import NotionApi
from charter.connectors.notion.comments import comment_written_by, note_property_update
from charter.connectors.notion.errors import seen_for
from charter.connectors.notion.markers import attribution_line, carries
from charter.connectors.notion.models import (
    AddComment,
    AppendBlocks,
    BlockInput,
    CreatePage,
    GetPage,
    GetPageContent,
    ListComments,
    NotionComment,
    NotionPage,
    PageContent,
    PageText,
    QueryDataSource,
    ReadPageText,
    RestorePage,
    RowPage,
    Search,
    SearchResult,
    TrashPage,
    UpdateProperties,
    _Content,
)
from charter.connectors.notion.preview import content_markdown, property_lines, with_footer
from charter.connectors.notion.properties import properties_out
from charter.connectors.notion.responses import page_from, title_of, trashed
from charter.connectors.notion.writer import ContentWriter, body, first_part
from charter.schemas import NotFound, Page, ScopeMissing, WriteResult
from charter.schemas.types import JsonObject

READ = (READ_CONTENT,)


class NotionConnector(Connector):
    """Notion pages, blocks, data sources and comments, for agents acting for a person."""

    name = "notion"
    provider = "notion"
    display_name: ClassVar[str] = "Notion"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The clock the rate budget reads; tests give the sandbox's, with its `advance` as sleep.
        self.clock: Callable[[], float] = time.monotonic
        # Seconds since the epoch, compared with Notion's edit times (the sandbox's clock in tests).
        self.wall_clock: Callable[[], float] = time.time
        self._needed: tuple[str, ...] = ()

    @cached_property
    def api(self) -> NotionApi:
        """The notion-client wrapper for this connection, built on first use."""
        return NotionApi(
            self.credentials,
            self.base_url,
            sleep=lambda seconds: self.sleep(seconds),
            clock=lambda: self.clock(),
            capabilities=lambda: self._needed,
            seen=seen_for(self.credentials.connection_id),
            max_wait=self.max_rate_limit_wait,
        )

    @cached_property
    def locate(self) -> Locator:
        return Locator(self.api, lambda: self.clock())

    # -- read ------------------------------------------------------------------------------

    @action("read", scopes=READ)
    def search(self, request: Search) -> Page[SearchResult]:
        """Search pages and data sources shared with the integration by title; newest edits first."""
        return reads.search(self.api, self.locate, request)

    @action("read", scopes=READ)
    def get_page(self, request: GetPage) -> NotionPage:
        """Get a page with its properties as plain values; its content comes from get_page_content."""
        self.locate.check_within(request.page_id, request.within)
        return page_from(self.locate.page(request.page_id))

    @action("read", scopes=READ)
    def get_page_content(self, request: GetPageContent) -> PageContent:
        """Read a page's blocks in order to `depth`, at most `max_blocks` a call; next_cursor continues."""
        self.locate.check_within(request.page_id, request.within)
        return reads.page_content(self.api, request)

    @action("read", scopes=READ)
    def read_page_text(self, request: ReadPageText) -> PageText:
        """Read a page as compact Markdown, `max_chars` at a time; pass next_cursor for the next part."""
        self.locate.check_within(request.page_id, request.within)
        return reads.page_text(self.api, request)

    @action("read", scopes=READ)
    def query_data_source(self, request: QueryDataSource) -> RowPage:
        """Query a data source or database with typed filters and sorts; since_watermark gives changes."""
        if not (request.filters or request.sorts or request.within):
            # Nothing to check against the schema: query at once, and look the id up only if it is
            # a database's rather than a data source's.
            try:
                return reads.query(
                    self.api, {"id": request.data_source_id, "properties": {}}, request, self.wall_clock()
                )
            except NotFound:
                pass
        source = self.locate.data_source(request.data_source_id)
        self.locate.check_within(str(source["id"]), request.within)
        return reads.query(self.api, source, request, self.wall_clock())

    @action("read", scopes=(READ_COMMENTS,))
    def list_comments(self, request: ListComments) -> Page[NotionComment]:
        """List the open comments on a page or block, oldest first."""
        self.locate.check_within(request.page_id, request.within)
        return reads.comments(self.api, request)

    # -- draft -----------------------------------------------------------------------------

    @action("draft", scopes=(READ_CONTENT, INSERT_CONTENT), commits="create_page", reaches="person")
    def draft_page(self, change: CreatePage, attribution: Attribution | None) -> DraftPreview:
        """Draft a new page for review, checked against the data source's schema; nothing is created yet."""
        kind, parent = self._parent_of(change)
        schema = parent.get("properties") if kind == "data_source" else None
        properties_out(schema or _TITLE_ONLY, change.properties if schema else {}, change.title)
        where = f"data source “{title_of(parent)}”" if kind == "data_source" else f"page “{title_of(parent)}”"
        lines = property_lines(change.properties) if change.properties else []
        body_lines = ["Properties:", *lines] if lines else []
        body_lines += ["", *content_markdown(_blocks_of(change))]
        return DraftPreview(
            preview=with_footer(
                f"New page “{change.title}” in {where}", body_lines, attribution_line(attribution)
            ),
            url=parent.get("url"),
        )

    @action("draft", scopes=(READ_CONTENT, INSERT_CONTENT), commits="append_blocks", reaches="person")
    def draft_append(self, change: AppendBlocks, attribution: Attribution | None) -> DraftPreview:
        """Draft blocks to add to a page for review; nothing is added until the draft is written."""
        self.locate.check_within(change.page_id, change.within)
        page = self.locate.page(change.page_id)
        heading = f"Add to page “{title_of(page)}”" + (f" after block {change.after}" if change.after else "")
        lines = content_markdown(_blocks_of(change))
        return DraftPreview(
            preview=with_footer(heading, lines, attribution_line(attribution)), url=page.get("url")
        )

    @action("draft", scopes=(READ_CONTENT, UPDATE_CONTENT), commits="update_properties", reaches="person")
    def draft_property_update(
        self, change: UpdateProperties, attribution: Attribution | None
    ) -> DraftPreview:
        """Draft property changes for review, checked against the data source's schema."""
        page, schema = self._page_and_schema(change.page_id, change.within)
        properties_out(schema, change.properties)
        before = page_from(page).properties
        lines = property_lines(change.properties, before)
        heading = f"Change properties of “{title_of(page)}”"
        return DraftPreview(
            preview=with_footer(heading, lines, attribution_line(attribution)), url=page.get("url")
        )

    @action("draft", scopes=(READ_CONTENT, INSERT_COMMENTS), commits="add_comment", reaches="person")
    def draft_comment(self, change: AddComment, attribution: Attribution | None) -> DraftPreview:
        """Draft a comment on a page for review; nothing is posted until the draft is written."""
        self.locate.check_within(change.page_id, change.within)
        page = self.locate.page(change.page_id)
        heading = f"Comment on “{title_of(page)}”"
        return DraftPreview(
            preview=with_footer(heading, [change.text], attribution_line(attribution)), url=page.get("url")
        )

    # -- write -----------------------------------------------------------------------------

    @action("write", scopes=(INSERT_CONTENT, READ_CONTENT), risks=("external",), reaches="domain")
    def create_page(self, change: CreatePage, ctx: WriteContext) -> WriteResult:
        """Create a page in a data source or under a page; it ends with a line naming the agent."""
        kind, parent = self._parent_of(change)
        nodes = plan(_blocks_of(change))
        found = self._page_written_by(kind, parent, change, ctx) if ctx.is_retry else None
        if found is None:
            schema = parent.get("properties") if kind == "data_source" else None
            properties = properties_out(
                schema or _TITLE_ONLY, change.properties if schema else {}, change.title
            )
            count = first_part(nodes, 1)
            first = [
                *(body(n) for n in nodes[:count]),
                footer(attribution_line(ctx.attribution, ctx.idempotency_key)).body,
            ]
            parent_ref = (
                {"data_source_id": parent["id"]} if kind == "data_source" else {"page_id": parent["id"]}
            )
            found = self.api.call(
                "creating a page",
                self.api.client.pages.create,
                parent=parent_ref,
                properties=properties,
                children=first,
            )
            if _more_to_write(nodes, count):
                made = list(self._children(str(found["id"])))[:count]
                self._writer().write(str(found["id"]), nodes, None, made)
        else:
            self._writer().resume(str(found["id"]), nodes, ctx.idempotency_key)
        return self._result("create_page", ctx, found, f"created page “{change.title}”")

    @action("write", scopes=(INSERT_CONTENT,), risks=("external",), reaches="domain")
    def append_blocks(self, change: AppendBlocks, ctx: WriteContext) -> WriteResult:
        """Add blocks or Markdown to a page, split to Notion's limits; ends with a line naming the agent."""
        self.locate.check_within(change.page_id, change.within)
        nodes = plan(_blocks_of(change))
        writer = self._writer()
        if ctx.is_retry:
            self._require(READ_CONTENT, "check whether the earlier attempt already added the blocks")
            if writer.resume(change.page_id, nodes, ctx.idempotency_key):
                return self._appended(change, ctx, nodes)
        count = first_part(nodes, 1)
        first = [
            *(body(n) for n in nodes[:count]),
            footer(attribution_line(ctx.attribution, ctx.idempotency_key)).body,
        ]
        created = self._append(change.page_id, first, change.after)
        writer.write(change.page_id, nodes, None, created[:count])
        return self._appended(change, ctx, nodes)

    @action("write", scopes=(UPDATE_CONTENT, READ_CONTENT), risks=("external", "rewrites"), reaches="domain")
    def update_properties(self, change: UpdateProperties, ctx: WriteContext) -> WriteResult:
        """Set property values of a page (checked against its data source's schema first)."""
        page, schema = self._page_and_schema(change.page_id, change.within)
        properties = properties_out(schema, change.properties)
        data = self.api.call(
            f"updating page {change.page_id}", self.api.client.pages.update, about=change.page_id,
            page_id=change.page_id, properties=properties,
        )  # fmt: skip
        granted = self.credentials.granted_scopes
        noted = note_property_update(self.api, granted, change.page_id, change.properties, ctx)
        summary = f"updated {', '.join(change.properties)} of “{title_of(page)}”{noted}"
        return self._result("update_properties", ctx, data, summary)

    @action("write", scopes=(INSERT_COMMENTS,), risks=("external",), reaches="domain")
    def add_comment(self, change: AddComment, ctx: WriteContext) -> WriteResult:
        """Comment on a page (or reply in a discussion); the comment ends with a line naming the agent."""
        self.locate.check_within(change.page_id, change.within)
        if ctx.is_retry:
            earlier = self._comment_written_by(change.page_id, ctx)
            if earlier is not None:
                return self._comment_result(change, ctx, earlier)
        text = f"{change.text}\n\n— {attribution_line(ctx.attribution, ctx.idempotency_key)}"
        target: JsonObject = (
            {"discussion_id": change.discussion_id}
            if change.discussion_id
            else {"parent": {"page_id": change.page_id}}
        )
        data = self.api.call(
            f"commenting on page {change.page_id}", self.api.client.comments.create, about=change.page_id,
            rich_text=rich_text(text), **target,
        )  # fmt: skip
        return self._comment_result(change, ctx, data)

    @action("write", scopes=(UPDATE_CONTENT,), risks=("destructive",), reaches="domain")
    def trash_page(self, change: TrashPage, ctx: WriteContext) -> WriteResult:
        """Move a page to Notion's trash; it stays restorable there (or with restore_page)."""
        return self._set_trash(change.page_id, change.within, True, ctx)

    @action("write", scopes=(UPDATE_CONTENT,), reaches="domain")
    def restore_page(self, change: RestorePage, ctx: WriteContext) -> WriteResult:
        """Bring a page back from Notion's trash."""
        return self._set_trash(change.page_id, change.within, False, ctx)

    # -- capabilities ----------------------------------------------------------------------

    def scopes_for(self, spec: ActionSpec, request: BaseModel) -> tuple[str, ...]:
        """The declared capabilities, plus Read content when a `within` must be checked."""
        within = getattr(request, "within", None)
        if within is not None and READ_CONTENT not in spec.scopes:
            return (*spec.scopes, READ_CONTENT)
        return spec.scopes

    def _call(self, spec: ActionSpec, request: BaseModel, run: Callable[[], Any]) -> Any:
        # A 403 from Notion names the capabilities of the action being run.
        self._needed = self.scopes_for(spec, request)
        return super()._call(spec, request, run)

    def _require(self, capability: str, why: str) -> None:
        if capability not in self.credentials.granted_scopes:
            raise ScopeMissing(
                f"to {why} this connection needs the {capability} capability; nothing was sent again, so "
                "check the page in Notion before retrying.",
                missing=[capability],
            )

    # -- plumbing --------------------------------------------------------------------------

    def _parent_of(self, change: CreatePage) -> tuple[str, JsonObject]:
        kind, parent = self.locate.parent_kind(change.parent_id)
        self.locate.check_within(str(parent["id"]), change.within)
        return kind, parent

    def _page_and_schema(self, page_id: str, within: str | None) -> tuple[JsonObject, dict[str, JsonObject]]:
        self.locate.check_within(page_id, within)
        page = self.locate.page(page_id)
        source_id = (page.get("parent") or {}).get("data_source_id")
        if source_id:
            return page, self.locate.data_source(str(source_id)).get("properties") or {}
        return page, dict(_TITLE_ONLY)

    def _children(self, block_id: str) -> Iterator[JsonObject]:
        return self.api.pages_of(
            f"the content of {block_id}",
            self.api.client.blocks.children.list,
            about=block_id,
            block_id=block_id,
        )

    def _append(self, parent: str, blocks: list[JsonObject], after: str | None) -> list[JsonObject]:
        extra = {"after": after} if after else {}
        data = self.api.call(
            f"adding blocks to {parent}", self.api.client.blocks.children.append, about=parent,
            block_id=parent, children=blocks, **extra,
        )  # fmt: skip
        return list(data.get("results", []))

    def _writer(self) -> ContentWriter:
        return ContentWriter(self._append, self._children)

    def _page_written_by(
        self, kind: str, parent: JsonObject, change: CreatePage, ctx: WriteContext
    ) -> JsonObject | None:
        """The page a lost earlier attempt created: same title under the same parent, with our reference."""
        client = self.api.client
        if kind == "data_source":
            title_name = next(
                (n for n, p in (parent.get("properties") or {}).items() if p.get("type") == "title"), "Name"
            )
            answer = self.api.call(
                "looking for the page an earlier attempt created", client.data_sources.query,
                data_source_id=parent["id"], page_size=20,
                filter={"property": title_name, "title": {"equals": change.title}},
                sorts=[{"timestamp": "created_time", "direction": "descending"}],
            )  # fmt: skip
            candidates = [str(p["id"]) for p in answer.get("results", [])]
        else:
            children = self._children(str(parent["id"]))
            candidates = [str(b["id"]) for b in children if b.get("type") == "child_page"]
            candidates = [c for c in reversed(candidates) if title_of(self.locate.page(c)) == change.title]
        for candidate in candidates:
            if any(carries(plain(b), ctx.idempotency_key) for b in self._children(candidate)):
                return self.locate.page(candidate)
        return None

    def _comment_written_by(self, page_id: str, ctx: WriteContext) -> JsonObject | None:
        self._require(READ_COMMENTS, "check whether the earlier attempt already posted the comment")
        return comment_written_by(self.api, page_id, ctx.idempotency_key)

    def _set_trash(self, page_id: str, within: str | None, trash: bool, ctx: WriteContext) -> WriteResult:
        self.locate.check_within(page_id, within)
        data = self.locate.page(page_id) if ctx.is_retry else None
        if data is None or trashed(data) != trash:
            # Notion refuses to edit a trashed page, so a retry first looks whether the lost attempt landed.
            data = self.api.call(
                f"{'trashing' if trash else 'restoring'} page {page_id}", self.api.client.pages.update,
                about=page_id, page_id=page_id, in_trash=trash,
            )  # fmt: skip
        action_name = "trash_page" if trash else "restore_page"
        how = "; restore it with restore_page or from Notion's trash" if trash else ""
        return self._result(
            action_name, ctx, data, f"{'moved' if trash else 'restored'} “{title_of(data)}”{how}"
        )

    def _appended(self, change: AppendBlocks, ctx: WriteContext, nodes: list[Any]) -> WriteResult:
        return WriteResult(
            action="append_blocks",
            id=change.page_id,
            idempotency_key=ctx.idempotency_key,
            summary=f"added {len(nodes)} top-level blocks to {change.page_id}",
        )

    def _comment_result(self, change: AddComment, ctx: WriteContext, data: JsonObject) -> WriteResult:
        return WriteResult(
            action="add_comment",
            id=str(data["id"]),
            idempotency_key=ctx.idempotency_key,
            summary=f"commented on {change.page_id} (discussion {data.get('discussion_id')})",
        )

    @staticmethod
    def _result(action_name: str, ctx: WriteContext, data: JsonObject, summary: str) -> WriteResult:
        return WriteResult(
            action=action_name,
            id=str(data["id"]),
            url=data.get("url"),
            idempotency_key=ctx.idempotency_key,
            summary=summary,
        )


_TITLE_ONLY: dict[str, JsonObject] = {"title": {"id": "title", "name": "title", "type": "title"}}


def _blocks_of(change: _Content) -> list[BlockInput]:
    return list(change.blocks) + (from_markdown(change.markdown) if change.markdown else [])


def _more_to_write(nodes: list[Planned], sent: int) -> bool:
    """Whether content is left after the first request: more blocks, or children deeper than it carries."""
    if len(nodes) > sent:
        return True
    return any(len(n.children) > 100 or any(c.children for c in n.children) for n in nodes[:sent])


__all__ = ["NotionConnector"]

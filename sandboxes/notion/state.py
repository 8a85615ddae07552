"""What the Notion sandbox holds: pages, blocks, databases, data sources, comments, users, sharing.

A page is also a block (Notion's pages are blocks with properties): its content is the ordered
child list kept under its id, and a page under a page shows in its parent's content as a
`child_page` block with the same id. Access follows Notion's model: an integration sees only what
was shared with it and everything below (`shared` holds the roots), so a page outside it is 404.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from charter.sandboxes.clock import Clock
from charter.schemas.types import JsonObject

_HEX32 = re.compile(r"^[0-9a-f]{32}$")

# The capabilities an integration can be given; tokens carry them as their scopes.
READ_CONTENT = "read_content"
UPDATE_CONTENT = "update_content"
INSERT_CONTENT = "insert_content"
READ_COMMENTS = "read_comments"
INSERT_COMMENTS = "insert_comments"
USER_INFO = "read_user_info_without_email"
USER_EMAIL = "read_user_info_with_email"
CAPABILITIES = (
    READ_CONTENT,
    UPDATE_CONTENT,
    INSERT_CONTENT,
    READ_COMMENTS,
    INSERT_COMMENTS,
    USER_INFO,
    USER_EMAIL,
)


def normalize_id(raw: str) -> str | None:
    """A Notion id in its dashed form, from either form; None when it is not a UUID."""
    compact = raw.replace("-", "").lower()
    if not _HEX32.match(compact):
        return None
    return str(uuid.UUID(compact))


def iso(at: float, *, minute: bool = False) -> str:
    """Notion's timestamp form; `minute` truncates as Notion does for `last_edited_time`."""
    moment = datetime.fromtimestamp(at, tz=UTC)
    if minute:
        moment = moment.replace(second=0, microsecond=0)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class User:
    id: str
    name: str
    email: str
    kind: str = "person"


@dataclass
class Block:
    """A content block; `payload` is its type-specific object (rich_text, checked, language...)."""

    id: str
    type: str
    payload: JsonObject
    parent_id: str
    created_time: float
    last_edited_time: float
    created_by: str
    in_trash: bool = False


@dataclass
class Page:
    """A page: in a data source (with its schema's properties) or under a page (title only)."""

    id: str
    parent: JsonObject
    properties: JsonObject
    created_time: float
    last_edited_time: float
    created_by: str
    last_edited_by: str
    icon: JsonObject | None = None
    in_trash: bool = False

    @property
    def data_source_id(self) -> str | None:
        return self.parent.get("data_source_id") if self.parent.get("type") == "data_source_id" else None

    @property
    def parent_id(self) -> str | None:
        kind = self.parent.get("type")
        return None if kind == "workspace" else str(self.parent[str(kind)])


@dataclass
class DataSource:
    """A table of pages with a property schema (name → {id, type, type config})."""

    id: str
    database_id: str
    title: str
    schema: dict[str, JsonObject]
    created_time: float
    last_edited_time: float
    in_trash: bool = False


@dataclass
class Database:
    """A container of data sources, placed under a page."""

    id: str
    parent_page_id: str
    title: str
    data_source_ids: list[str]
    created_time: float
    last_edited_time: float
    in_trash: bool = False


@dataclass
class Comment:
    id: str
    parent: JsonObject
    discussion_id: str
    rich_text: list[JsonObject]
    created_time: float
    created_by: str


@dataclass
class NotionState:
    """Every object of the sandbox's one workspace, and what is shared with the integration."""

    clock: Clock
    users: dict[str, User] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    databases: dict[str, Database] = field(default_factory=dict)
    data_sources: dict[str, DataSource] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    shared: set[str] = field(default_factory=set)
    bot_id: str = ""
    workspace_id: str = ""
    workspace_name: str = "Acme"

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def now(self) -> float:
        return self.clock.now()

    # -- where an object sits --------------------------------------------------------------------

    def parent_of(self, object_id: str) -> str | None:
        """The id of the page, block or database that holds `object_id` (None at the top)."""
        if object_id in self.pages:
            page = self.pages[object_id]
            if page.data_source_id:
                return self.data_sources[page.data_source_id].database_id
            return page.parent_id
        if object_id in self.blocks:
            return self.blocks[object_id].parent_id
        if object_id in self.data_sources:
            return self.data_sources[object_id].database_id
        if object_id in self.databases:
            return self.databases[object_id].parent_page_id
        return None

    def exists(self, object_id: str) -> bool:
        return any(
            object_id in table for table in (self.pages, self.blocks, self.data_sources, self.databases)
        )

    def is_shared(self, object_id: str) -> bool:
        """Whether the integration can see `object_id`: it or an ancestor was shared with it."""
        seen: set[str] = set()
        current: str | None = object_id
        while current is not None and current not in seen:
            if current in self.shared:
                return True
            seen.add(current)
            current = self.parent_of(current)
        return False

    def in_trash(self, object_id: str) -> bool:
        """Trashed itself, or below something trashed."""
        seen: set[str] = set()
        current: str | None = object_id
        while current is not None and current not in seen:
            tables: tuple[dict[str, Any], ...] = (self.pages, self.blocks, self.data_sources, self.databases)
            if any(current in t and t[current].in_trash for t in tables):
                return True
            seen.add(current)
            current = self.parent_of(current)
        return False

    def touch(self, object_id: str, user: str) -> None:
        """Record an edit on the page that holds `object_id` (blocks edit their page)."""
        now = self.now()
        current: str | None = object_id
        while current is not None:
            if current in self.blocks:
                self.blocks[current].last_edited_time = now
            if current in self.pages:
                self.pages[current].last_edited_time = now
                self.pages[current].last_edited_by = user
                return
            current = self.parent_of(current)

    # -- content ---------------------------------------------------------------------------------

    def content_of(self, parent_id: str) -> list[str]:
        return self.children.setdefault(parent_id, [])

    def add_block(
        self, parent_id: str, block_type: str, payload: JsonObject, user: str, at: int | None = None
    ) -> Block:
        now = self.now()
        block = Block(self.new_id(), block_type, payload, parent_id, now, now, user)
        self.blocks[block.id] = block
        content = self.content_of(parent_id)
        content.insert(len(content) if at is None else at, block.id)
        return block

    def add_page(
        self, parent: JsonObject, properties: JsonObject, user: str, icon: JsonObject | None = None
    ) -> Page:
        now = self.now()
        page = Page(self.new_id(), parent, properties, now, now, user, user, icon)
        self.pages[page.id] = page
        if parent.get("type") == "page_id":
            # A subpage shows in its parent's content as a child_page block of the same id.
            title = plain_title(properties)
            block = Block(page.id, "child_page", {"title": title}, parent["page_id"], now, now, user)
            self.blocks[page.id] = block
            self.content_of(parent["page_id"]).append(page.id)
        return page

    def visible_children(self, parent_id: str) -> list[Block]:
        return [self.blocks[b] for b in self.content_of(parent_id) if not self.blocks[b].in_trash]


def plain_title(properties: JsonObject) -> str:
    """The plain text of a page's title property."""
    for value in properties.values():
        if isinstance(value, dict) and value.get("type") == "title":
            return "".join(str(t.get("plain_text", "")) for t in value.get("title", []))
    return ""


def rich_text(content: str, link: str | None = None) -> JsonObject:
    """A response rich text object of type text, with default annotations."""
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": link} if link else None},
        "annotations": {
            "bold": False,
            "italic": False,
            "strikethrough": False,
            "underline": False,
            "code": False,
            "color": "default",
        },
        "plain_text": content,
        "href": link,
    }

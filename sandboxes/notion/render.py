"""Request objects into stored ones, and stored objects into Notion's response JSON."""

from __future__ import annotations

from typing import Any

from charter.sandboxes.notion.errors import invalid
from charter.sandboxes.notion.state import (
    Block,
    Comment,
    Database,
    DataSource,
    NotionState,
    Page,
    iso,
    plain_title,
    rich_text,
)
from charter.schemas.types import JsonObject

TEXT_BLOCKS = frozenset(
    {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
    }
)
BLOCK_TYPES = TEXT_BLOCKS | {"divider"}
# Block types whose children Notion accepts in a request.
NESTING_BLOCKS = frozenset(
    {"paragraph", "bulleted_list_item", "numbered_list_item", "to_do", "toggle", "quote", "callout"}
)
PAGE_URL = "https://www.notion.so/"


def rich_text_in(items: Any, where: str) -> list[JsonObject]:
    """Request rich text (`text.content`, optional link) as the stored response form."""
    if not isinstance(items, list):
        raise invalid(f"body failed validation: {where} should be an array.")
    out = []
    for i, item in enumerate(items):
        text = item.get("text") if isinstance(item, dict) else None
        if not isinstance(text, dict) or not isinstance(text.get("content"), str):
            raise invalid(f"body failed validation: {where}[{i}].text.content should be a string.")
        link = text.get("link")
        url = link.get("url") if isinstance(link, dict) else None
        out.append(rich_text(text["content"], url if isinstance(url, str) else None))
    return out


def block_in(raw: Any, where: str) -> tuple[str, JsonObject, list[Any]]:
    """(type, stored payload, children still to create) of one request block."""
    if not isinstance(raw, dict):
        raise invalid(f"body failed validation: {where} should be an object, instead was `{raw!r}`.")
    kind = raw.get("type") or next((k for k in raw if k in BLOCK_TYPES), None)
    if kind not in BLOCK_TYPES or not isinstance(raw.get(kind), dict):
        raise invalid(f"body failed validation: {where} should be a block object of a supported type.")
    inner: JsonObject = raw[kind]
    children = inner.get("children") or []
    if children and kind not in NESTING_BLOCKS:
        raise invalid(f"body failed validation: {where}.{kind} cannot have children.")
    payload: JsonObject = {}
    if kind in TEXT_BLOCKS:
        payload["rich_text"] = rich_text_in(inner.get("rich_text", []), f"{where}.{kind}.rich_text")
        payload["color"] = str(inner.get("color", "default"))
    if kind == "to_do":
        payload["checked"] = bool(inner.get("checked", False))
    if kind == "code":
        payload["language"] = str(inner.get("language", "plain text"))
        payload["caption"] = []
    if kind == "callout":
        payload["icon"] = inner.get("icon") or {"type": "emoji", "emoji": "💡"}
    return str(kind), payload, list(children)


def create_blocks(
    state: NotionState, parent_id: str, raw: list[Any], user: str, where: str, at: int | None
) -> list[Block]:
    """Create request blocks (and their nested children) under `parent_id`; returns the top ones."""
    made = []
    for i, item in enumerate(raw):
        kind, payload, children = block_in(item, f"{where}[{i}]")
        block = state.add_block(parent_id, kind, payload, user, None if at is None else at + i)
        if children:
            create_blocks(state, block.id, children, user, f"{where}[{i}].{kind}.children", None)
        made.append(block)
    return made


def user_ref(user_id: str) -> JsonObject:
    return {"object": "user", "id": user_id}


def _parent_of_block(state: NotionState, block: Block) -> JsonObject:
    if block.parent_id in state.pages:
        return {"type": "page_id", "page_id": block.parent_id}
    return {"type": "block_id", "block_id": block.parent_id}


def block_out(state: NotionState, block: Block) -> JsonObject:
    payload = block.payload
    if block.type == "child_page" and block.id in state.pages:
        payload = {"title": plain_title(state.pages[block.id].properties)}
    trashed = block.in_trash
    return {
        "object": "block",
        "id": block.id,
        "parent": _parent_of_block(state, block),
        "created_time": iso(block.created_time, minute=True),
        "last_edited_time": iso(block.last_edited_time, minute=True),
        "created_by": user_ref(block.created_by),
        "last_edited_by": user_ref(block.created_by),
        "has_children": bool(state.visible_children(block.id)) and block.type != "child_page",
        "archived": trashed,
        "in_trash": trashed,
        "type": block.type,
        block.type: payload,
    }


def page_url(object_id: str, title: str) -> str:
    slug = "-".join(w for w in "".join(c if c.isalnum() else " " for c in title).split()) or "Untitled"
    return f"{PAGE_URL}{slug}-{object_id.replace('-', '')}"


def page_out(state: NotionState, page: Page) -> JsonObject:
    parent: JsonObject = dict(page.parent)
    if page.data_source_id:
        parent["database_id"] = state.data_sources[page.data_source_id].database_id
    trashed = page.in_trash
    return {
        "object": "page",
        "id": page.id,
        "created_time": iso(page.created_time, minute=True),
        "last_edited_time": iso(page.last_edited_time, minute=True),
        "created_by": user_ref(page.created_by),
        "last_edited_by": user_ref(page.last_edited_by),
        "cover": None,
        "icon": page.icon,
        "parent": parent,
        "archived": trashed,
        "in_trash": trashed,
        "is_locked": False,
        "properties": page.properties,
        "url": page_url(page.id, plain_title(page.properties)),
        "public_url": None,
    }


def data_source_out(state: NotionState, source: DataSource) -> JsonObject:
    database = state.databases[source.database_id]
    return {
        "object": "data_source",
        "id": source.id,
        "created_time": iso(source.created_time, minute=True),
        "last_edited_time": iso(source.last_edited_time, minute=True),
        "created_by": user_ref(state.bot_id),
        "last_edited_by": user_ref(state.bot_id),
        "properties": source.schema,
        "parent": {"type": "database_id", "database_id": database.id},
        "database_parent": {"type": "page_id", "page_id": database.parent_page_id},
        "title": [rich_text(source.title)],
        "description": [],
        "icon": None,
        "cover": None,
        "archived": source.in_trash,
        "in_trash": source.in_trash,
        "is_inline": False,
        "url": page_url(source.id, source.title),
        "public_url": None,
    }


def database_out(state: NotionState, database: Database) -> JsonObject:
    return {
        "object": "database",
        "id": database.id,
        "created_time": iso(database.created_time, minute=True),
        "last_edited_time": iso(database.last_edited_time, minute=True),
        "title": [rich_text(database.title)],
        "description": [],
        "parent": {"type": "page_id", "page_id": database.parent_page_id},
        "is_inline": False,
        "in_trash": database.in_trash,
        "archived": database.in_trash,
        "is_locked": False,
        "icon": None,
        "cover": None,
        "data_sources": [{"id": ds, "name": state.data_sources[ds].title} for ds in database.data_source_ids],
        "url": page_url(database.id, database.title),
        "public_url": None,
    }


def comment_out(comment: Comment) -> JsonObject:
    return {
        "object": "comment",
        "id": comment.id,
        "parent": comment.parent,
        "discussion_id": comment.discussion_id,
        "created_time": iso(comment.created_time),
        "last_edited_time": iso(comment.created_time),
        "created_by": user_ref(comment.created_by),
        "rich_text": comment.rich_text,
        "display_name": {"type": "integration", "resolved_name": "Charter"},
    }

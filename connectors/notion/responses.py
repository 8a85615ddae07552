"""Notion's JSON into Charter's resources; `in_trash` and the older `archived` both count as trashed."""

from __future__ import annotations

from charter.connectors.notion.blocks import plain
from charter.connectors.notion.models import (
    CONNECTOR,
    BlockItem,
    DataSourceRef,
    NotionComment,
    NotionPage,
    Row,
    SearchResult,
)
from charter.connectors.notion.properties import value_in
from charter.schemas import Provenance
from charter.schemas.types import JsonObject


def trashed(data: JsonObject) -> bool:
    return bool(data.get("in_trash") or data.get("archived"))


def title_of(data: JsonObject) -> str:
    if data.get("object") in ("data_source", "database"):
        return "".join(str(t.get("plain_text", "")) for t in data.get("title") or [])
    for value in (data.get("properties") or {}).values():
        if isinstance(value, dict) and value.get("type") == "title":
            return "".join(str(t.get("plain_text", "")) for t in value.get("title") or [])
    return ""


def parent_of(data: JsonObject) -> tuple[str, str | None]:
    parent = data.get("parent") or {}
    kind = str(parent.get("type") or "workspace")
    value = parent.get(kind)
    return kind, value if isinstance(value, str) else None


def _provenance(data: JsonObject) -> Provenance:
    author = (data.get("created_by") or {}).get("id")
    return Provenance(connector=CONNECTOR, id=str(data["id"]), url=data.get("url"), author=author)


def page_from(data: JsonObject) -> NotionPage:
    kind, parent = parent_of(data)
    return NotionPage(
        id=str(data["id"]),
        provenance=_provenance(data),
        title=title_of(data),
        url=data.get("url"),
        parent_type=kind,
        parent_id=parent,
        properties={name: value_in(v) for name, v in (data.get("properties") or {}).items()},
        in_trash=trashed(data),
        created_time=data["created_time"],
        last_edited_time=data["last_edited_time"],
    )


def row_from(data: JsonObject) -> Row:
    return Row(
        id=str(data["id"]),
        provenance=_provenance(data),
        title=title_of(data),
        url=data.get("url"),
        properties={name: value_in(v) for name, v in (data.get("properties") or {}).items()},
        last_edited_time=data["last_edited_time"],
    )


def data_source_from(data: JsonObject) -> DataSourceRef:
    return DataSourceRef(
        id=str(data["id"]),
        provenance=_provenance(data),
        title=title_of(data),
        url=data.get("url"),
        database_id=(data.get("parent") or {}).get("database_id"),
        properties={name: str(p.get("type")) for name, p in (data.get("properties") or {}).items()},
        last_edited_time=data["last_edited_time"],
    )


def search_result_from(data: JsonObject) -> SearchResult:
    kind = "data_source" if data.get("object") == "data_source" else "page"
    return SearchResult(
        id=str(data["id"]),
        provenance=_provenance(data),
        kind=kind,
        title=title_of(data),
        url=data.get("url"),
        last_edited_time=data["last_edited_time"],
    )


def block_item(block: JsonObject, depth: int, parent: str, max_depth: int) -> BlockItem:
    kind = str(block.get("type"))
    inner = block.get(kind) or {}
    has_children = bool(block.get("has_children"))
    return BlockItem(
        id=str(block["id"]),
        type=kind,
        depth=depth,
        parent_id=parent,
        text=plain(block),
        checked=inner.get("checked") if kind == "to_do" else None,
        has_children=has_children,
        children_not_read=has_children and (depth >= max_depth or kind in ("child_page", "child_database")),
    )


def comment_from(data: JsonObject) -> NotionComment:
    return NotionComment(
        id=str(data["id"]),
        provenance=Provenance(
            connector=CONNECTOR, id=str(data["id"]), author=(data.get("created_by") or {}).get("id")
        ),
        text="".join(str(t.get("plain_text", "")) for t in data.get("rich_text") or []),
        discussion_id=str(data.get("discussion_id")),
        created_time=data["created_time"],
        author_id=(data.get("created_by") or {}).get("id"),
    )

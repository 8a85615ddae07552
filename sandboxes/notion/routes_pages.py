"""Pages and blocks: create, retrieve, update, trash; block children read and appended."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from charter.sandboxes.notion.api import Ctx, endpoint, paginate
from charter.sandboxes.notion.errors import NotionError, invalid, not_found
from charter.sandboxes.notion.limits import MAX_NESTING, check_blocks
from charter.sandboxes.notion.properties import apply_properties, empty_value
from charter.sandboxes.notion.render import block_in, block_out, create_blocks, page_out
from charter.sandboxes.notion.state import (
    INSERT_CONTENT,
    READ_CONTENT,
    UPDATE_CONTENT,
    DataSource,
    Page,
    normalize_id,
)
from charter.schemas.types import JsonObject

ARCHIVED = "Can't edit block that is archived. You must unarchive the block before editing."


def _trash_flag(body: JsonObject) -> bool | None:
    """`in_trash`, or the older `archived`, both accepted at this version."""
    for key in ("in_trash", "archived"):
        if key in body:
            if not isinstance(body[key], bool):
                raise invalid(f"body failed validation: body.{key} should be a boolean.")
            return bool(body[key])
    return None


def _parent_for_new_page(ctx: Ctx, raw: Any) -> tuple[JsonObject, DataSource | None]:
    if not isinstance(raw, dict):
        raise invalid("body failed validation: body.parent should be an object.")
    state = ctx.state
    for key in ("data_source_id", "database_id", "page_id"):
        if key not in raw:
            continue
        found = normalize_id(str(raw[key]))
        if found is None:
            raise invalid(f"body failed validation: body.parent.{key} should be a valid uuid.")
        if key == "database_id":
            database = state.databases.get(found)
            if database is None or not state.is_shared(found):
                raise not_found(found, "database")
            if len(database.data_source_ids) != 1:
                raise invalid("This database has several data sources; give parent.data_source_id instead.")
            found, key = database.data_source_ids[0], "data_source_id"
        if key == "data_source_id":
            source = state.data_sources.get(found)
            if source is None or not state.is_shared(found):
                raise not_found(found, "data_source")
            if state.in_trash(found):
                raise invalid(ARCHIVED)
            return {"type": "data_source_id", "data_source_id": found}, source
        if found not in state.pages or not state.is_shared(found):
            raise not_found(found, "page")
        if state.in_trash(found):
            raise invalid(ARCHIVED)
        return {"type": "page_id", "page_id": found}, None
    raise invalid("body failed validation: body.parent should have page_id, data_source_id or database_id.")


def create_page(ctx: Ctx) -> JsonObject:
    parent, source = _parent_for_new_page(ctx, ctx.body.get("parent"))
    if "properties" not in ctx.body:
        raise invalid("body failed validation: body.properties should be defined, instead was `undefined`.")
    children = ctx.body.get("children") or []
    if not isinstance(children, list):
        raise invalid("body failed validation: body.children should be an array.")
    check_blocks(children, max_depth=MAX_NESTING)
    base = {name: empty_value(prop) for name, prop in (source.schema if source else {}).items()}
    if source is None:
        base["title"] = {"id": "title", "type": "title", "title": []}
    # Validate every block before creating anything: a refused request leaves nothing behind.
    _dry_run(children, "body.children")
    properties = apply_properties(source, base, ctx.body.get("properties"))
    page = ctx.state.add_page(parent, properties, ctx.user, ctx.body.get("icon"))
    create_blocks(ctx.state, page.id, children, ctx.user, "body.children", None)
    return page_out(ctx.state, page)


def _dry_run(children: list[Any], where: str) -> None:
    for i, raw in enumerate(children):
        kind, _, nested = block_in(raw, f"{where}[{i}]")
        _dry_run(nested, f"{where}[{i}].{kind}.children")


def _page(ctx: Ctx) -> Page:
    page_id = ctx.id_param("page_id")
    if page_id not in ctx.state.pages:
        raise not_found(page_id, "page")
    ctx.visible(page_id, "page")
    return ctx.state.pages[page_id]


def get_page(ctx: Ctx) -> JsonObject:
    return page_out(ctx.state, _page(ctx))


def update_page(ctx: Ctx) -> JsonObject:
    page = _page(ctx)
    trash = _trash_flag(ctx.body)
    if ctx.state.in_trash(page.id) and trash is not False:
        raise invalid(ARCHIVED)
    source = ctx.state.data_sources.get(page.data_source_id or "")
    page.properties = apply_properties(source, page.properties, ctx.body.get("properties"))
    if "icon" in ctx.body:
        page.icon = ctx.body["icon"]
    if trash is not None:
        page.in_trash = trash
        if page.id in ctx.state.blocks:
            ctx.state.blocks[page.id].in_trash = trash
    ctx.state.touch(page.id, ctx.user)
    return page_out(ctx.state, page)


def get_page_property(ctx: Ctx) -> JsonObject:
    page = _page(ctx)
    wanted = ctx.path["property_id"]
    for value in page.properties.values():
        if value["id"] == wanted:
            break
    else:
        raise not_found(wanted, "property")
    kind = value["type"]
    if kind not in ("title", "rich_text"):
        return {"object": "property_item", "id": value["id"], "type": kind, kind: value[kind]}
    items = [
        {"object": "property_item", "id": f"{value['id']}-{i}", "type": kind, kind: text}
        for i, text in enumerate(value[kind])
    ]
    size = ctx.page_size(ctx.query.get("page_size"))
    listing = paginate(items, ctx.query.get("start_cursor"), size, "property_item")
    listing["property_item"] = {"id": value["id"], "next_url": None, "type": kind, kind: {}}
    return listing


def _block(ctx: Ctx) -> str:
    block_id = ctx.id_param("block_id")
    if block_id not in ctx.state.blocks and block_id not in ctx.state.pages:
        raise not_found(block_id)
    return ctx.visible(block_id)


def get_block(ctx: Ctx) -> JsonObject:
    block_id = _block(ctx)
    if block_id not in ctx.state.blocks:
        raise invalid("The id belongs to a top-level page; retrieve it with GET /v1/pages/{page_id}.")
    return block_out(ctx.state, ctx.state.blocks[block_id])


def list_children(ctx: Ctx) -> JsonObject:
    parent = _block(ctx)
    items = [block_out(ctx.state, b) for b in ctx.state.visible_children(parent)]
    size = ctx.page_size(ctx.query.get("page_size"))
    return paginate(items, ctx.query.get("start_cursor"), size, "block")


def append_children(ctx: Ctx) -> JsonObject:
    parent = _block(ctx)
    if ctx.state.in_trash(parent):
        raise invalid(ARCHIVED)
    children = ctx.body.get("children")
    if not isinstance(children, list):
        raise invalid("body failed validation: body.children should be defined, instead was `undefined`.")
    check_blocks(children, max_depth=MAX_NESTING)
    _dry_run(children, "body.children")
    at = None
    if ctx.body.get("after") is not None:
        after = normalize_id(str(ctx.body["after"]))
        content = ctx.state.content_of(parent)
        if after is None or after not in content:
            raise invalid("body failed validation: body.after should be the id of a child of the block.")
        at = content.index(after) + 1
    made = create_blocks(ctx.state, parent, children, ctx.user, "body.children", at)
    ctx.state.touch(parent, ctx.user)
    return paginate([block_out(ctx.state, b) for b in made], None, max(len(made), 1), "block")


def update_block(ctx: Ctx) -> JsonObject:
    block_id = _block(ctx)
    state = ctx.state
    if block_id not in state.blocks:
        raise invalid("The id belongs to a top-level page; update it with PATCH /v1/pages/{page_id}.")
    block = state.blocks[block_id]
    trash = _trash_flag(ctx.body)
    if state.in_trash(block_id) and trash is not False:
        raise invalid(ARCHIVED)
    if block.type in ctx.body:
        _kind, payload, children = block_in({block.type: ctx.body[block.type]}, "body")
        if children:
            raise invalid("body failed validation: append children with PATCH /v1/blocks/{id}/children.")
        block.payload = {**block.payload, **{k: payload[k] for k in ctx.body[block.type] if k in payload}}
    elif any(k in ctx.body for k in ("paragraph", "heading_1", "to_do", "type")):
        raise invalid(
            f"body failed validation: this block is a {block.type}; send its changes under `{block.type}`."
        )
    if trash is not None:
        block.in_trash = trash
        if block_id in state.pages:
            state.pages[block_id].in_trash = trash
    state.touch(block_id, ctx.user)
    return block_out(state, block)


def delete_block(ctx: Ctx) -> JsonObject:
    block_id = _block(ctx)
    state = ctx.state
    if block_id in state.pages:
        state.pages[block_id].in_trash = True
    if block_id in state.blocks:
        state.blocks[block_id].in_trash = True
        state.touch(block_id, ctx.user)
        return block_out(state, state.blocks[block_id])
    raise NotionError(
        "validation_error", "Move a top-level page to the trash with PATCH /v1/pages/{page_id}."
    )


ROUTES = [
    Route("/v1/pages", endpoint(INSERT_CONTENT, create_page), methods=["POST"]),
    Route("/v1/pages/{page_id}", endpoint(READ_CONTENT, get_page), methods=["GET"]),
    Route("/v1/pages/{page_id}", endpoint(UPDATE_CONTENT, update_page), methods=["PATCH"]),
    Route(
        "/v1/pages/{page_id}/properties/{property_id}",
        endpoint(READ_CONTENT, get_page_property),
        methods=["GET"],
    ),
    Route("/v1/blocks/{block_id}", endpoint(READ_CONTENT, get_block), methods=["GET"]),
    Route("/v1/blocks/{block_id}", endpoint(UPDATE_CONTENT, update_block), methods=["PATCH"]),
    Route("/v1/blocks/{block_id}", endpoint(UPDATE_CONTENT, delete_block), methods=["DELETE"]),
    Route("/v1/blocks/{block_id}/children", endpoint(READ_CONTENT, list_children), methods=["GET"]),
    Route("/v1/blocks/{block_id}/children", endpoint(INSERT_CONTENT, append_children), methods=["PATCH"]),
]

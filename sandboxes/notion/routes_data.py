"""Search, databases, data sources and their query, comments, and the bot user."""

from __future__ import annotations

from functools import partial

from starlette.routing import Route

from charter.sandboxes.notion.api import Ctx, endpoint, paginate
from charter.sandboxes.notion.errors import invalid, not_found
from charter.sandboxes.notion.properties import matches, sort_key
from charter.sandboxes.notion.render import (
    comment_out,
    data_source_out,
    database_out,
    page_out,
    rich_text_in,
)
from charter.sandboxes.notion.state import (
    INSERT_COMMENTS,
    READ_COMMENTS,
    READ_CONTENT,
    Comment,
    normalize_id,
    plain_title,
)
from charter.schemas.types import JsonObject


def search(ctx: Ctx) -> JsonObject:
    state, body = ctx.state, ctx.body
    query = str(body.get("query") or "").lower()
    wanted = (body.get("filter") or {}).get("value")
    if wanted not in (None, "page", "data_source"):
        raise invalid("body failed validation: body.filter.value should be `page` or `data_source`.")
    found: list[tuple[float, JsonObject]] = []
    if wanted in (None, "page"):
        for page in state.pages.values():
            visible = state.is_shared(page.id) and not state.in_trash(page.id)
            if visible and query in plain_title(page.properties).lower():
                found.append((page.last_edited_time, page_out(state, page)))
    if wanted in (None, "data_source"):
        for source in state.data_sources.values():
            if state.is_shared(source.id) and not state.in_trash(source.id) and query in source.title.lower():
                found.append((source.last_edited_time, data_source_out(state, source)))
    ascending = (body.get("sort") or {}).get("direction") == "ascending"
    found.sort(key=lambda pair: (pair[0], pair[1]["id"]), reverse=not ascending)
    size = ctx.page_size(body.get("page_size"))
    return paginate([item for _, item in found], body.get("start_cursor"), size, "page_or_data_source")


def _data_source(ctx: Ctx) -> str:
    source_id = ctx.id_param("data_source_id")
    if source_id not in ctx.state.data_sources:
        raise not_found(source_id, "data_source")
    return ctx.visible(source_id, "data_source")


def get_data_source(ctx: Ctx) -> JsonObject:
    return data_source_out(ctx.state, ctx.state.data_sources[_data_source(ctx)])


def query_data_source(ctx: Ctx) -> JsonObject:
    state, body = ctx.state, ctx.body
    source = state.data_sources[_data_source(ctx)]
    rows = [
        page_out(state, p) for p in state.pages.values() if p.data_source_id == source.id and not p.in_trash
    ]
    condition = body.get("filter")
    if condition is not None:
        if not isinstance(condition, dict):
            raise invalid("body failed validation: body.filter should be an object.")
        rows = [row for row in rows if matches(row, source.schema, condition)]
    sorts = body.get("sorts") or [{"timestamp": "created_time", "direction": "descending"}]
    rows.sort(key=lambda row: str(row["id"]))
    for sort in reversed(sorts):
        if "property" in sort and sort["property"] not in source.schema:
            raise invalid(f"Could not find sort property with name or id: {sort['property']}")
        rows.sort(key=partial(sort_key, sort=sort), reverse=sort.get("direction") == "descending")
    size = ctx.page_size(body.get("page_size"))
    return paginate(rows, body.get("start_cursor"), size, "page_or_data_source")


def get_database(ctx: Ctx) -> JsonObject:
    database_id = ctx.id_param("database_id")
    if database_id not in ctx.state.databases:
        raise not_found(database_id, "database")
    ctx.visible(database_id, "database")
    return database_out(ctx.state, ctx.state.databases[database_id])


def list_comments(ctx: Ctx) -> JsonObject:
    raw = ctx.query.get("block_id")
    block_id = normalize_id(raw or "")
    if block_id is None:
        raise invalid("query failed validation: query.block_id should be a valid uuid.")
    ctx.visible(block_id)
    items = [
        comment_out(c)
        for c in ctx.state.comments
        if c.parent.get("page_id") == block_id or c.parent.get("block_id") == block_id
    ]
    size = ctx.page_size(ctx.query.get("page_size"))
    return paginate(items, ctx.query.get("start_cursor"), size, "comment")


def create_comment(ctx: Ctx) -> JsonObject:
    state, body = ctx.state, ctx.body
    text = rich_text_in(body.get("rich_text"), "body.rich_text")
    if not text:
        raise invalid("body failed validation: body.rich_text should not be empty.")
    discussion = body.get("discussion_id")
    parent = body.get("parent") or {}
    if discussion is not None:
        earlier = next((c for c in state.comments if c.discussion_id == discussion), None)
        if earlier is None:
            raise not_found(str(discussion), "discussion")
        parent_json, thread = earlier.parent, str(discussion)
    else:
        key = "page_id" if "page_id" in parent else "block_id"
        target = normalize_id(str(parent.get(key, "")))
        if target is None:
            raise invalid("body failed validation: body.parent should have page_id or block_id.")
        ctx.visible(target, "page" if key == "page_id" else "block")
        parent_json, thread = {"type": key, key: target}, state.new_id()
    comment = Comment(state.new_id(), parent_json, thread, text, state.now(), ctx.user)
    state.comments.append(comment)
    return comment_out(comment)


def me(ctx: Ctx) -> JsonObject:
    state = ctx.state
    owner_login = ctx.token.login
    owner: JsonObject
    user = state.users.get(owner_login)
    if user is None:
        owner = {"type": "workspace", "workspace": True}
    else:
        person: JsonObject = {
            "object": "user",
            "id": user.id,
            "name": user.name,
            "avatar_url": None,
            "type": "person",
        }
        if "read_user_info_with_email" in ctx.token.scopes:
            person["person"] = {"email": user.email}
        owner = {"type": "user", "user": person}
    return {
        "object": "user",
        "id": state.bot_id,
        "name": "Charter",
        "avatar_url": None,
        "type": "bot",
        "bot": {"owner": owner, "workspace_name": state.workspace_name},
    }


ROUTES = [
    Route("/v1/search", endpoint(READ_CONTENT, search), methods=["POST"]),
    Route("/v1/data_sources/{data_source_id}", endpoint(READ_CONTENT, get_data_source), methods=["GET"]),
    Route(
        "/v1/data_sources/{data_source_id}/query", endpoint(READ_CONTENT, query_data_source), methods=["POST"]
    ),
    Route("/v1/databases/{database_id}", endpoint(READ_CONTENT, get_database), methods=["GET"]),
    Route("/v1/comments", endpoint(READ_COMMENTS, list_comments), methods=["GET"]),
    Route("/v1/comments", endpoint(INSERT_COMMENTS, create_comment), methods=["POST"]),
    Route("/v1/users/me", endpoint(None, me), methods=["GET"]),
]

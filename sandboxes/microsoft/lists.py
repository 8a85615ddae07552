"""Graph's SharePoint lists: lists, columns, items with fields, field updates with If-Match; delta."""

from __future__ import annotations

import base64
import re

from charter.sandboxes.microsoft.api import SITES_READ, SITES_WRITE, Ctx, route
from charter.sandboxes.microsoft.drives import target
from charter.sandboxes.microsoft.state import GraphList, Site
from charter.sandboxes.microsoft.wire import (
    Answer,
    GraphError,
    column_json,
    context,
    etag_matches,
    item_json,
    list_item_json,
    list_json,
)
from charter.schemas.types import JsonObject

LIST = r"/sites/(?P<site>[^/:]+)/lists/(?P<list>[^/]+)"
EXPAND_FIELDS = re.compile(r"^fields(?:\(\$?select=(?P<select>[^)]*)\))?$")


def _list(ctx: Ctx, write: bool = False) -> tuple[Site, GraphList]:
    site = ctx.site(ctx.params["site"])
    ctx.require(SITES_WRITE if write else SITES_READ, site, "write" if write else "read")
    wanted = ctx.params["list"].lower()
    for graph_list in site.lists.values():
        if wanted in (graph_list.id.lower(), graph_list.name.lower()):
            return site, graph_list
    raise GraphError(404, "itemNotFound", "The specified list was not found")


def _expanded_fields(ctx: Ctx) -> list[str] | None:
    raw = ctx.query.get("expand") or ctx.query.get("$expand")
    if not raw:
        return None
    found = EXPAND_FIELDS.match(raw.strip())
    if found is None:
        raise GraphError(400, "invalidRequest", f"Parsing OData Select and Expand failed: {raw}")
    return [f.strip() for f in (found.group("select") or "").split(",") if f.strip()]


@route("GET", r"/sites/(?P<site>[^/:]+)/lists", kind="list")
def lists(ctx: Ctx) -> Answer:
    site = ctx.site(ctx.params["site"])
    ctx.require(SITES_READ, site)
    return Answer(
        {**context(f"sites('{site.id}')/lists"), "value": [list_json(site, gl) for gl in site.lists.values()]}
    )


@route("GET", LIST)
def get_list(ctx: Ctx) -> Answer:
    site, graph_list = _list(ctx)
    return Answer({**context("sites/lists/$entity"), **list_json(site, graph_list)})


@route("GET", LIST + r"/columns", kind="list")
def columns(ctx: Ctx) -> Answer:
    _, graph_list = _list(ctx)
    return Answer({**context("sites/lists/columns"), "value": [column_json(c) for c in graph_list.columns]})


@route("GET", LIST + r"/items", kind="list")
def list_items(ctx: Ctx) -> Answer:
    site, graph_list = _list(ctx)
    fields = _expanded_fields(ctx)
    rows = sorted(graph_list.items.values(), key=lambda i: int(i.id))
    chunk, next_link = ctx.page(rows, default=200, limit=5000)
    body = {**context(f"sites('{site.id}')/lists('{graph_list.id}')/items")}
    body["value"] = [list_item_json(ctx.state, site, graph_list, i, fields) for i in chunk]
    if next_link:
        body["@odata.nextLink"] = next_link
    return Answer(body)


@route("GET", LIST + r"/items/(?P<row>[^/]+)")
def get_list_item(ctx: Ctx) -> Answer:
    site, graph_list = _list(ctx)
    row = graph_list.items.get(ctx.params["row"])
    if row is None:
        raise GraphError(404, "itemNotFound", "The specified list item was not found")
    fields = _expanded_fields(ctx)
    return Answer(
        {**context("sites/lists/items/$entity"), **list_item_json(ctx.state, site, graph_list, row, fields)}
    )


@route("PATCH", LIST + r"/items/(?P<row>[^/]+)/fields", kind="write")
def update_fields(ctx: Ctx) -> Answer:
    site, graph_list = _list(ctx, write=True)
    row = graph_list.items.get(ctx.params["row"])
    if row is None:
        raise GraphError(404, "itemNotFound", "The specified list item was not found")
    if not etag_matches(ctx.headers.get("if-match"), row.etag):
        raise GraphError(
            412, "preconditionFailed", "The request ETag value does not match the object's ETag value"
        )
    changes = ctx.json()
    known = {c.name: c for c in graph_list.columns}
    for name, value in changes.items():
        column = known.get(name)
        if column is None:
            raise GraphError(400, "invalidRequest", f"Field '{name}' is not recognized")
        if column.read_only:
            raise GraphError(400, "invalidRequest", f"Field '{name}' is read-only")
        if column.kind == "choice" and value not in column.choices:
            raise GraphError(400, "invalidRequest", f"Value '{value}' is not a valid choice for '{name}'")
        if column.kind == "number" and not isinstance(value, int | float):
            raise GraphError(400, "invalidRequest", f"Field '{name}' takes a number")
    row.fields.update(changes)
    row.version += 1
    row.modified = ctx.state.clock.now()
    row.modified_by = ctx.who
    body = {
        "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#sites('{site.id}')/lists('{graph_list.id}')/items('{row.id}')/fields/$entity"
    }
    body |= {"@odata.etag": row.etag, "id": row.id, **row.fields}
    return Answer(body)


# -- delta ---------------------------------------------------------------------------------


def _token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def _seq(token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return int(raw.removeprefix("seq:"))
    except ValueError:
        raise GraphError(400, "invalidRequest", "Invalid delta token.") from None


@route("GET", r"/drives/(?P<drive>[^/]+)/root/delta", kind="delta")
def delta(ctx: Ctx) -> Answer:
    drive = ctx.drive(ctx.params["drive"])
    ctx.require_drive(drive)
    link = f"{ctx.sandbox.graph_base}/drives/{drive.id}/root/delta"
    raw = ctx.query.get("token")
    if raw == "latest":
        return Answer(
            {
                **context("Collection(driveItem)"),
                "value": [],
                "@odata.deltaLink": f"{link}?token={_token(ctx.state.seq)}",
            }
        )
    since = _seq(raw) if raw else -1
    if raw and since < ctx.state.delta_floor:
        message = "Resync required. Replace any local items with the server's version (including deletes)."
        headers = {"location": link}
        raise GraphError(410, "resyncRequired", message, headers, inner_code="resyncChangesApplyDifferences")
    changed = [i for i in ctx.state.in_drive(drive.id) if i.changed > since and (raw or not i.deleted)]
    changed.sort(key=lambda i: (i.changed, i.id))
    chunk, next_link = ctx.page(changed, default=200, limit=999)
    body = {**context("Collection(driveItem)"), "value": [_as_delta(item_json(ctx.state, i)) for i in chunk]}
    if next_link:
        body["@odata.nextLink"] = next_link
    else:
        body["@odata.deltaLink"] = f"{link}?token={_token(ctx.state.seq)}"
    return Answer(body)


def _as_delta(item: JsonObject) -> JsonObject:
    """An item as SharePoint's delta lists it: no parent path (and, once deleted, no name or cTag)."""
    out = {k: v for k, v in item.items() if k != "cTag"}
    out["parentReference"] = {k: v for k, v in (item.get("parentReference") or {}).items() if k != "path"}
    if "deleted" in out:
        out.pop("name", None)
    return out


__all__ = ["target"]

"""Graph's JSON `$batch` (at most 20 requests, `dependsOn`, 424 on a failed dependency) and `/search/query`.

Inner requests run through the same dispatcher as HTTP requests, so each is authenticated with the
batch's token and throttled on its own: an inner request over the budget answers 429 by itself.
Answers come back in an order of the sandbox's choosing (reversed), as Graph allows.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from charter.sandboxes.microsoft.api import FILES_READ, SITES_READ, Ctx, dispatch, route
from charter.sandboxes.microsoft.state import GraphState, Item
from charter.sandboxes.microsoft.wire import Answer, GraphError, context, item_json, list_item_json, site_json
from charter.schemas.types import JsonObject

if TYPE_CHECKING:
    from charter.sandboxes.microsoft.sandbox import GraphSandbox

MAX_BATCH = 20
# An inner answer's headers are JSON keys, so they are spelled as Graph spells them (json-batching).
_SPELLED = {"location": "Location", "retry-after": "Retry-After", "etag": "ETag"}


def run_batch(sandbox: GraphSandbox, headers: dict[str, str], body: bytes) -> Answer:
    """Answer a `$batch` request body."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
    requests = data.get("requests") if isinstance(data, dict) else None
    if not isinstance(requests, list) or not requests:
        raise GraphError(400, "BadRequest", "The batch request must contain a 'requests' array.")
    if len(requests) > MAX_BATCH:
        raise GraphError(400, "BadRequest", f"The number of batch requests exceeds the limit of {MAX_BATCH}.")
    ids = [str(r.get("id")) for r in requests if isinstance(r, dict)]
    if len(set(ids)) != len(requests):
        raise GraphError(400, "BadRequest", "Every batch request needs a unique id.")
    outcomes: dict[str, int] = {}
    responses = []
    for raw in requests:
        responses.append(_one(sandbox, headers, raw, outcomes))
    return Answer({"responses": list(reversed(responses))})


def _one(
    sandbox: GraphSandbox, headers: dict[str, str], raw: JsonObject, outcomes: dict[str, int]
) -> JsonObject:
    rid = str(raw["id"])
    depends = raw.get("dependsOn") or []
    if any(outcomes.get(str(d), 424) >= 400 for d in depends):
        outcomes[rid] = 424
        error = GraphError(424, "failedDependency", "The dependent request failed.")
        return {"id": rid, "status": 424, "body": error.body(rid, sandbox.clock.now())}
    url = urlsplit(str(raw.get("url") or ""))
    path = "/" + url.path.lstrip("/").removeprefix("v1.0/")
    query = dict(parse_qsl(url.query, keep_blank_values=True))
    inner = {k.lower(): str(v) for k, v in (raw.get("headers") or {}).items()}
    inner.setdefault("authorization", headers.get("authorization", ""))
    body = raw.get("body")
    payload = json.dumps(body).encode() if body is not None else b""
    answer = dispatch(sandbox, str(raw.get("method", "GET")).upper(), path, query, inner, payload)
    outcomes[rid] = answer.status
    out: JsonObject = {"id": rid, "status": answer.status, "headers": {"Content-Type": "application/json"}}
    out["headers"].update({_SPELLED[k]: v for k, v in answer.headers.items() if k in _SPELLED})
    if answer.body is not None:
        out["body"] = answer.body
    return out


@route("POST", r"/search/query", kind="search")
def search_query(ctx: Ctx) -> Answer:
    data = ctx.json()
    requests = data.get("requests")
    if not isinstance(requests, list) or len(requests) != 1:
        raise GraphError(400, "BadRequest", "Exactly one search request is supported per call.")
    req = requests[0]
    kinds = req.get("entityTypes") or []
    text = str((req.get("query") or {}).get("queryString") or "").lower()
    start, size = int(req.get("from", 0)), min(int(req.get("size", 25)), 500)
    hits = _hits(ctx, kinds, text.split())
    chunk = hits[start : start + size]
    container = {
        "hits": [
            {"hitId": h["id"], "rank": start + n + 1, "summary": "", "resource": h}
            for n, h in enumerate(chunk)
        ],
        "total": len(hits),
        "moreResultsAvailable": start + size < len(hits),
    }
    return Answer(
        {**context("search"), "value": [{"searchTerms": text.split(), "hitsContainers": [container]}]}
    )


def _hits(ctx: Ctx, kinds: list[str], words: list[str]) -> list[JsonObject]:
    out: list[JsonObject] = []
    if "driveItem" in kinds:
        ctx.require(FILES_READ, None)
        for item in ctx.state.items.values():
            text = item.name.lower() + " " + (item.content or b"").decode("utf-8", "replace").lower()
            owner = ctx.state.drives[item.drive_id].owner
            if owner is not None and owner != ctx.who:
                continue  # someone else's OneDrive
            if not item.deleted and item.parent_id and all(w in text for w in words):
                out.append({"@odata.type": "#microsoft.graph.driveItem", **_drive_hit(ctx.state, item)})
    if "listItem" in kinds or "site" in kinds:
        ctx.require(SITES_READ, None)
    if "site" in kinds:
        for site in ctx.state.sites.values():
            if all(w in site.display_name.lower() for w in words):
                out.append({"@odata.type": "#microsoft.graph.site", **site_json(site)})
    if "listItem" in kinds:
        for site in ctx.state.sites.values():
            for graph_list in site.lists.values():
                for row in graph_list.items.values():
                    if all(w in json.dumps(row.fields).lower() for w in words):
                        body = list_item_json(ctx.state, site, graph_list, row, None)
                        body.pop("@odata.etag", None)
                        out.append({"@odata.type": "#microsoft.graph.listItem", **body})
    return out


def _drive_hit(state: GraphState, item: Item) -> JsonObject:
    """A driveItem as a search hit: its `parentReference` also names the item's SharePoint list row."""
    body = item_json(state, item)
    body["parentReference"]["sharepointIds"] = {
        # The library's list: one stable GUID per drive. The row: the item's number and unique id.
        "listId": str(uuid.uuid5(uuid.NAMESPACE_URL, item.drive_id)),
        "listItemId": str(int(item.id[2:8])),
        "listItemUniqueId": item.guid,
    }
    return body

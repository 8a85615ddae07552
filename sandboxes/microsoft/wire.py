"""Graph's wire format: error bodies, OData annotations, and the JSON of sites, drives and items."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from charter.sandboxes.microsoft.state import Column, Drive, GraphList, GraphState, Item, ListItem, Site
from charter.schemas.types import JsonObject

if TYPE_CHECKING:
    from collections.abc import Iterable

GRAPH_ROOT = "https://graph.microsoft.com/v1.0"
JSON_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)


class GraphError(Exception):
    """An error answer in Graph's shape: `{"error": {"code", "message", "innerError": {...}}}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        inner_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.inner_code = inner_code

    def body(self, request_id: str, now: float) -> JsonObject:
        inner: JsonObject = {"date": iso(now), "request-id": request_id, "client-request-id": request_id}
        if self.inner_code:
            inner["code"] = self.inner_code
        return {"error": {"code": self.code, "message": self.message, "innerError": inner}}


@dataclass
class Answer:
    """A handler's answer: status, JSON body (None for none) and extra headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


def iso(at: float) -> str:
    """Graph's timestamps: `2025-01-15T09:00:00Z`."""
    return datetime.fromtimestamp(at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_id() -> str:
    return str(uuid.uuid4())


def encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def not_found(what: str = "The resource could not be found.") -> GraphError:
    return GraphError(404, "itemNotFound", what)


def bad_request(message: str, code: str = "invalidRequest") -> GraphError:
    return GraphError(400, code, message)


def select(obj: JsonObject, fields: Iterable[str] | None) -> JsonObject:
    """`$select`: only the named properties (annotations and `id` always stay)."""
    if fields is None:
        return obj
    wanted = set(fields) | {"id"}
    return {k: v for k, v in obj.items() if k in wanted or k.startswith("@")}


def etag_matches(header: str | None, current: str) -> bool:
    """Whether an If-Match header names the current eTag (`*` matches anything).

    SharePoint's eTags hold a comma (`"{GUID},3"`), so the header is read as quoted tags, not split.
    """
    if header is None:
        return True
    if header.strip() == "*":
        return True
    tags = re.findall(r'(?:W/)?"([^"]*)"', header) or [header.strip()]
    return current.strip('"') in tags


# -- resources ------------------------------------------------------------------------------


def site_json(site: Site) -> JsonObject:
    return {
        "id": site.id,
        "name": site.path.rstrip("/").rsplit("/", 1)[-1] or site.host,
        "displayName": site.display_name,
        "description": site.description,
        "webUrl": site.web_url,
        "createdDateTime": iso(site.created),
        "lastModifiedDateTime": iso(site.created),
        "siteCollection": {"hostname": site.host},
    }


def library_url(state: GraphState, drive: Drive) -> str:
    """A library's address under its site, or a OneDrive's under the owner's personal site."""
    site = state.drive_site(drive)
    if site is not None:
        return site.web_url.rstrip("/") + "/Shared%20Documents"
    owner = re.sub(r"[^a-z0-9]", "_", (drive.owner or "").lower())
    return f"https://contoso-my.sharepoint.com/personal/{owner}/Documents"


# Who SharePoint names as a library's creator and, outside group-connected sites, its owner.
SYSTEM_ACCOUNT: JsonObject = {"user": {"displayName": "System Account"}}


def drive_json(state: GraphState, drive: Drive) -> JsonObject:
    owner = state.users.get(drive.owner or "")
    used = state.drive_used(drive)
    root = state.items[drive.root_id]
    out: JsonObject = {
        "id": drive.id,
        "name": drive.name,
        "driveType": drive.drive_type,
        "description": "",
        "createdDateTime": iso(state.items[drive.root_id].created),
        "lastModifiedDateTime": iso(state.items[drive.root_id].modified),
        "webUrl": library_url(state, drive),
        "createdBy": owner.identity() if owner is not None else SYSTEM_ACCOUNT,
        "lastModifiedBy": _who(state, root.modified_by),
        "owner": owner.identity() if owner is not None else SYSTEM_ACCOUNT,
        "quota": {
            "total": drive.quota_total,
            "used": used,
            "remaining": drive.quota_total - used,
            "deleted": 0,
            "state": "normal",
        },
    }
    return out


def item_json(state: GraphState, item: Item, *, download_url: str | None = None) -> JsonObject:
    drive = state.drives[item.drive_id]
    if item.deleted:
        return {"id": item.id, "name": item.name, "deleted": {"state": "deleted"}, **_parent(state, item)}
    web = library_url(state, drive) + "/" + quote(state.path_of(item))
    out: JsonObject = {}
    if download_url is not None:
        out["@microsoft.graph.downloadUrl"] = download_url
    out |= {
        "id": item.id,
        "name": item.name,
        "eTag": item.etag,
        "cTag": item.ctag,
        "createdDateTime": iso(item.created),
        "lastModifiedDateTime": iso(item.modified),
        "webUrl": web,
        "size": item.size(state),
        "createdBy": _who(state, item.created_by),
        "lastModifiedBy": _who(state, item.modified_by),
        "fileSystemInfo": {"createdDateTime": iso(item.created), "lastModifiedDateTime": iso(item.modified)},
        **_parent(state, item),
    }
    if item.description is not None:
        out["description"] = item.description
    if item.parent_id is None:
        out["root"] = {}
    if item.is_folder:
        out["folder"] = {"childCount": len(state.children(item.id))}
    else:
        out["file"] = {
            "mimeType": _mime(item.name),
            "hashes": {"quickXorHash": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
        }
    if item.permissions:
        out["shared"] = {"scope": item.permissions[-1].get("link", {}).get("scope", "users")}
    return out


def _parent(state: GraphState, item: Item) -> JsonObject:
    drive = state.drives[item.drive_id]
    ref: JsonObject = {"driveId": drive.id, "driveType": drive.drive_type}
    parent = state.items.get(item.parent_id or "")
    if parent is not None:
        ref["id"] = parent.id
        ref["path"] = "/drive/root:" + ("/" + state.path_of(parent) if parent.parent_id else "")
        if drive.site_id:
            ref["siteId"] = drive.site_id
    return {"parentReference": ref}


def _who(state: GraphState, email: str) -> JsonObject:
    user = state.users.get(email)
    if user is None:
        return {"application": {"id": email, "displayName": email}}
    return user.identity()


def _mime(name: str) -> str:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "txt": "text/plain",
        "md": "text/markdown",
        "csv": "text/csv",
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }.get(ext, "application/octet-stream")


def list_json(site: Site, graph_list: GraphList) -> JsonObject:
    return {
        "id": graph_list.id,
        "name": graph_list.name,
        "displayName": graph_list.display_name,
        "description": "",
        "webUrl": f"{site.web_url.rstrip('/')}/Lists/{quote(graph_list.name)}",
        "createdDateTime": iso(graph_list.created),
        "lastModifiedDateTime": iso(graph_list.created),
        "list": {"template": "genericList", "hidden": False, "contentTypesEnabled": False},
    }


def column_json(column: Column) -> JsonObject:
    out: JsonObject = {
        "id": column.id,
        "name": column.name,
        "displayName": column.display_name,
        "description": "",
        "columnGroup": "Custom Columns",
        "enforceUniqueValues": False,
        "hidden": False,
        "indexed": False,
        "readOnly": column.read_only,
        "required": column.required,
    }
    if column.kind == "choice":
        out["choice"] = {
            "allowTextEntry": False,
            "choices": list(column.choices),
            "displayAs": "dropDownMenu",
        }
    elif column.kind == "number":
        out["number"] = {"decimalPlaces": "automatic", "displayAs": "number"}
    elif column.kind == "dateTime":
        out["dateTime"] = {"displayAs": "default", "format": "dateTime"}
    else:
        out["text"] = {"allowMultipleLines": False, "maxLength": 255, "linesForEditing": 0}
    return out


def list_item_json(
    state: GraphState, site: Site, graph_list: GraphList, item: ListItem, fields: Iterable[str] | None
) -> JsonObject:
    out: JsonObject = {
        "@odata.etag": item.etag,
        "id": item.id,
        "eTag": item.etag,
        "createdDateTime": iso(item.created),
        "lastModifiedDateTime": iso(item.modified),
        "webUrl": f"{site.web_url.rstrip('/')}/Lists/{quote(graph_list.name)}/DispForm.aspx?ID={item.id}",
        "createdBy": _who(state, item.created_by),
        "lastModifiedBy": _who(state, item.modified_by),
        "parentReference": {"id": graph_list.id, "siteId": site.id},
        "contentType": {"id": "0x0100" + graph_list.id.replace("-", "").upper()[:16], "name": "Item"},
    }
    if fields is not None:
        out["fields@odata.context"] = f"{GRAPH_ROOT}/$metadata#sites('{site.id}')/lists/items/fields/$entity"
        out["fields"] = fields_json(graph_list, item, fields)
    return out


def fields_json(graph_list: GraphList, item: ListItem, names: Iterable[str]) -> JsonObject:
    wanted = set(names)
    base = {"@odata.etag": item.etag, "id": item.id, **item.fields}
    return {k: v for k, v in base.items() if not wanted or k in wanted or k.startswith("@") or k == "id"}


def context(path: str) -> JsonObject:
    return {"@odata.context": f"{GRAPH_ROOT}/$metadata#{path}"}

"""Graph's JSON answers turned into Charter resources; no pre-authenticated URL is ever copied over."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from charter.connectors.sharepoint.models import (
    CONNECTOR,
    Column,
    Drive,
    DriveItem,
    ListRow,
    SearchHit,
    Site,
)
from charter.connectors.sharepoint.own_drive import MY_SITE
from charter.schemas import Provenance
from charter.schemas.types import JsonObject

# Properties a listing asks for: enough for an agent, nothing heavy (no thumbnails, permissions).
ITEM_SELECT = (
    "id,name,size,eTag,file,folder,parentReference,lastModifiedDateTime,lastModifiedBy,webUrl,deleted"
)


def _who(identity: Any) -> str | None:
    user = (identity or {}).get("user") or (identity or {}).get("application") or {}
    return user.get("email") or user.get("displayName")


def site_from(data: JsonObject) -> Site:
    url = str(data.get("webUrl") or "")
    address = url.removeprefix("https://").removeprefix("http://").rstrip("/")
    return Site(
        id=str(data["id"]),
        provenance=Provenance(connector=CONNECTOR, id=f"site:{data['id']}", url=url or None),
        name=str(data.get("name") or ""),
        display_name=str(data.get("displayName") or data.get("name") or ""),
        description=str(data.get("description") or ""),
        web_url=url,
        address=address,
    )


def drive_from(data: JsonObject) -> Drive:
    quota = data.get("quota") or {}
    return Drive(
        id=str(data["id"]),
        provenance=Provenance(connector=CONNECTOR, id=f"drive:{data['id']}", url=data.get("webUrl")),
        name=str(data.get("name") or ""),
        drive_type=str(data.get("driveType") or ""),
        web_url=data.get("webUrl"),
        quota_remaining=quota.get("remaining"),
    )


def item_path(data: JsonObject, fallback_parent: str | None = None) -> str:
    """The library-relative path of an item, from `parentReference.path` (`/drive/root:/A/B`)."""
    parent = (data.get("parentReference") or {}).get("path")
    if isinstance(parent, str) and ":" in parent:
        folder = unquote(parent.split(":", 1)[1]).strip("/")
    else:
        folder = (fallback_parent or "").strip("/")
    name = str(data.get("name") or "")
    if (data.get("root") is not None) or not name:
        return ""
    return f"{folder}/{name}" if folder else name


def item_from(data: JsonObject, fallback_parent: str | None = None) -> DriveItem:
    # Validated once from plain values: a listing of 999 items calls pydantic 999 times, not twice that.
    file = data.get("file") or {}
    folder = data.get("folder")
    who = _who(data.get("lastModifiedBy"))
    return DriveItem.model_validate(
        {
            "id": str(data["id"]),
            "provenance": {
                "connector": CONNECTOR,
                "id": f"item:{data['id']}",
                "url": data.get("webUrl"),
                "author": who,
            },
            "name": str(data.get("name") or ""),
            "path": item_path(data, fallback_parent),
            "is_folder": folder is not None,
            "size": int(data.get("size") or 0),
            "etag": data.get("eTag"),
            "mime_type": file.get("mimeType"),
            "child_count": (folder or {}).get("childCount") if folder is not None else None,
            "modified_at": data.get("lastModifiedDateTime"),
            "modified_by": who,
        }
    )


def column_from(data: JsonObject) -> Column:
    kinds = ("text", "choice", "number", "dateTime", "boolean", "lookup", "personOrGroup", "currency")
    kind = next((k for k in kinds if data.get(k) is not None), "other")
    return Column(
        id=str(data["id"]),
        provenance=Provenance(connector=CONNECTOR, id=f"column:{data['id']}"),
        name=str(data.get("name") or ""),
        display_name=str(data.get("displayName") or data.get("name") or ""),
        kind=kind,
        read_only=bool(data.get("readOnly")),
        required=bool(data.get("required")),
        choices=[str(c) for c in (data.get("choice") or {}).get("choices") or []],
    )


def row_from(data: JsonObject) -> ListRow:
    fields = {k: v for k, v in (data.get("fields") or {}).items() if not k.startswith("@")}
    return ListRow(
        id=str(data["id"]),
        provenance=Provenance(
            connector=CONNECTOR,
            id=f"listItem:{data['id']}",
            url=data.get("webUrl"),
            author=_who(data.get("createdBy")),
        ),
        etag=str(data.get("eTag") or data.get("@odata.etag") or ""),
        fields=fields,
    )


def drive_url(drive_id: str) -> str:
    """`/drives/{id}`, or `/me/drive` for the person's own OneDrive (`MY_SITE`), whose id is never needed."""
    return "/me/drive" if drive_id == MY_SITE else f"/drives/{drive_id}"


def path_url(drive_id: str, path: str, then: str = "") -> str:
    """`/drives/{id}/root:/{path}:{then}` with the path percent-encoded (or the root itself)."""
    drive = drive_url(drive_id)
    if not path:
        return f"{drive}/root{then}"
    encoded = quote(path, safe="/")
    return f"{drive}/root:/{encoded}:{then}" if then else f"{drive}/root:/{encoded}"


def item_url(drive_id: str, item_id: str) -> str:
    """`/drives/{id}/items/{item-id}` (or under `/me/drive` for the person's own OneDrive)."""
    return f"{drive_url(drive_id)}/items/{quote(item_id, safe='')}"


def site_of(web_url: str | None) -> str | None:
    """The site address (host/path) a SharePoint URL lives under: `/sites/X`, `/teams/X` or the root."""
    if not web_url or "://" not in web_url:
        return None
    host, _, rest = web_url.split("://", 1)[1].partition("/")
    parts = [unquote(p) for p in rest.split("/") if p]
    if len(parts) >= 2 and parts[0].lower() in ("sites", "teams"):
        return f"{host}/{parts[0]}/{parts[1]}"
    return host


def hit_from(hit: JsonObject) -> SearchHit:
    resource = hit.get("resource") or {}
    kind = str(resource.get("@odata.type") or "").removeprefix("#microsoft.graph.")
    url = resource.get("webUrl")
    name = (
        resource.get("name")
        or resource.get("displayName")
        or (resource.get("fields") or {}).get("Title")
        or ""
    )
    return SearchHit(
        id=str(hit.get("hitId") or resource.get("id")),
        provenance=Provenance(
            connector=CONNECTOR,
            id=f"{kind}:{resource.get('id')}",
            url=url,
            author=_who(resource.get("lastModifiedBy")),
        ),
        kind=kind,
        name=str(name),
        site=site_of(url),
        path=item_path(resource) if kind == "driveItem" else None,
        web_url=url,
        summary=str(hit.get("summary") or ""),
    )

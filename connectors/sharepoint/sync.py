"""Incremental sync of a library over Graph's delta: a repeat sync with no change costs one request.

The first sync asks for `token=latest` (no enumeration, just a starting point). Later syncs
follow the kept deltaLink to the end; deleted items come with a `deleted` facet. Items are placed
by their parent's id, since delta gives no paths in SharePoint. When Graph
answers 410 Gone (the token is too old), the sync restarts from the Location Graph gives, reports
everything there as changed and says `resynced`, so the caller replaces its copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from charter.connectors.paging import PageTrail
from charter.connectors.sharepoint import preview
from charter.connectors.sharepoint.cursors import encode_cursor, link_of
from charter.connectors.sharepoint.models import DriveItem, LibraryChanges, SyncLibrary
from charter.connectors.sharepoint.responses import ITEM_SELECT, drive_url, item_from, item_path, item_url
from charter.schemas import Provenance, UpstreamError
from charter.schemas.types import JsonObject

if TYPE_CHECKING:
    from charter.connectors.sharepoint.places import Places


def sync_library(connector: Places, request: SyncLibrary) -> LibraryChanges:
    """The changes since the request's cursor (or a starting point when it has none)."""
    api = connector.api
    subject = f"changes of {preview.library_of(request.site, request.library)}"
    link = link_of(request)
    if link is None:
        drive = connector.drive_id(request.site, request.library)
        params = {"token": "latest", "$select": ITEM_SELECT}
        start = api.get(f"{drive_url(drive)}/root/delta", subject, params)
        return _changes(request, [], [], str(start["@odata.deltaLink"]), resynced=False)
    # The latest state of each item changed since the cursor: delta may list an item twice.
    seen: dict[str, JsonObject] = {}
    url: str | None = api.on_host(link)
    resynced, trail = False, PageTrail("Microsoft Graph", subject)
    while url is not None:
        answer = api.call("GET", url, subject, accept=(410,))
        if answer.status == 410:
            url, resynced = trail.follow(str(answer.headers.get("location") or "")), True
            seen.clear()
            if url is None:
                raise UpstreamError(f"Graph asked to resync {subject} but gave no place to restart from.")
            continue
        page = answer.body or {}
        for data in page.get("value", []):
            seen.pop(str(data.get("id")), None)
            seen[str(data.get("id"))] = data
        if isinstance(page.get("@odata.deltaLink"), str):
            changed, deleted = place_changes(connector, request, list(seen.values()), subject)
            return _changes(request, changed, deleted, page["@odata.deltaLink"], resynced)
        url = trail.follow(str(page.get("@odata.nextLink") or ""))
    raise UpstreamError(f"Graph ended a page of {subject} with neither a next nor a delta link.")


def place_changes(
    connector: Places, request: SyncLibrary, items: list[JsonObject], subject: str
) -> tuple[list[DriveItem], list[str]]:
    """The changed items with their paths, and the deleted ids, inside the request's folder.

    Delta leaves `parentReference.path` out in OneDrive for Business and SharePoint (and a deleted
    item's name), so each item is placed by its parent's id: parents in the same answer by their
    own entries, the others read in `$batch`. A folder's sync reports nothing, not even a deletion,
    it cannot place inside the folder.
    """
    folders = _parents_of(connector, items, subject)
    changed: list[DriveItem] = []
    deleted: list[str] = []
    for data in items:
        parent = folders.get(str((data.get("parentReference") or {}).get("id")))
        if data.get("root") is not None:
            continue
        gone = data.get("deleted") is not None
        if request.folder and not _placed_inside(request.folder, data, parent, gone):
            continue
        if gone:
            deleted.append(str(data.get("id")))
        else:
            changed.append(item_from(data, parent))
    return changed, deleted


def _parents_of(connector: Places, items: list[JsonObject], subject: str) -> dict[str, str]:
    """Folder id → library-relative path, for the parent of every item (missing: gone or unknown)."""
    known = {str(d.get("id")): d for d in items if d.get("deleted") is None}
    paths: dict[str, str] = {}
    drive_of: dict[str, str] = {}
    for data in items:
        ref = data.get("parentReference") or {}
        if not ref.get("id"):
            continue
        drive_of[str(ref["id"])] = str(ref.get("driveId") or "")
        if isinstance(ref.get("path"), str):
            paths[str(ref["id"])] = item_path({"name": "x", "parentReference": ref}).rpartition("/")[0]

    def above(ident: str) -> str | None:
        # The first folder up from `ident` that neither this answer nor a path places: read it.
        for _ in range(64):
            data = known.get(ident)
            if ident in paths or (data is not None and data.get("root") is not None):
                return None
            if data is None:
                return ident
            ident = str((data.get("parentReference") or {}).get("id"))
        return None

    unread = {f for i in drive_of if (f := above(i)) is not None}
    paths.update(_read_paths(connector, {f: drive_of.get(f, "") for f in unread}, subject))

    def path_of(ident: str, depth: int = 0) -> str | None:
        data = known.get(ident)
        if ident in paths or depth > 64:
            return paths.get(ident)
        if data is None:
            return None
        if data.get("root") is not None:
            return ""
        parent = path_of(str((data.get("parentReference") or {}).get("id")), depth + 1)
        if parent is None:
            return None
        paths[ident] = f"{parent}/{data.get('name')}" if parent else str(data.get("name"))
        return paths[ident]

    return {i: p for i in drive_of if (p := path_of(i)) is not None}


def _read_paths(connector: Places, folders: dict[str, str], subject: str) -> dict[str, str]:
    """Paths of folders by id (and drive id), read 20 to a `$batch`; a folder gone is left out."""
    if not folders:
        return {}
    ids = list(folders)
    calls = [
        {
            "id": str(n),
            "method": "GET",
            "url": item_url(folders[i], i) + "?$select=id,name,parentReference,root",
        }
        for n, i in enumerate(ids)
    ]
    answers = connector.api.batch(calls, subject, connector.sleep, connector.max_rate_limit_wait)
    found: dict[str, str] = {}
    for n, ident in enumerate(ids):
        answer = answers.get(str(n)) or {}
        if answer.get("status") == 200:
            found[ident] = item_path(answer.get("body") or {})
    return found


def _placed_inside(folder: str, data: JsonObject, parent: str | None, gone: bool) -> bool:
    if parent is None:
        return False
    if gone and not data.get("name"):
        # A deleted item's name is left out: inside if its parent folder is.
        return _inside(folder, parent)
    return _inside(folder, item_path(data, parent))


def _inside(folder: str, path: str) -> bool:
    return not folder or path == folder or path.startswith(folder + "/")


def _changes(
    request: SyncLibrary, changed: list[DriveItem], deleted: list[str], link: str, resynced: bool
) -> LibraryChanges:
    cursor = encode_cursor(request, link)
    return LibraryChanges(
        id=cursor[-16:],
        provenance=Provenance(connector="sharepoint", id=f"delta:{request.site}/{request.library}"),
        changed=changed,
        deleted=deleted,
        resynced=resynced,
        cursor=cursor,
    )


__all__ = ["place_changes", "sync_library"]

"""Incremental sync of a library over Graph's delta: a repeat sync with no change costs one request.

The first sync asks for `token=latest` (no enumeration, just a starting point). Later syncs
follow the kept deltaLink to the end; deleted items come with a `deleted` facet. When Graph
answers 410 Gone (the token is too old), the sync restarts from the Location Graph gives, reports
everything there as changed and says `resynced`, so the caller replaces its copy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from charter.connectors.paging import PageTrail
from charter.connectors.sharepoint import preview
from charter.connectors.sharepoint.cursors import encode_cursor, link_of
from charter.connectors.sharepoint.models import DriveItem, LibraryChanges, SyncLibrary
from charter.connectors.sharepoint.responses import ITEM_SELECT, drive_url, item_from, item_path
from charter.schemas import Provenance, UpstreamError

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
    changed: dict[str, DriveItem] = {}
    deleted: dict[str, None] = {}
    url: str | None = api.on_host(link)
    resynced, trail = False, PageTrail("Microsoft Graph", subject)
    while url is not None:
        answer = api.call("GET", url, subject, accept=(410,))
        if answer.status == 410:
            url, resynced = trail.follow(str(answer.headers.get("location") or "")), True
            changed.clear()
            deleted.clear()
            if url is None:
                raise UpstreamError(f"Graph asked to resync {subject} but gave no place to restart from.")
            continue
        page = answer.body or {}
        for data in page.get("value", []):
            ident = str(data.get("id"))
            if not _inside(request.folder, item_path(data)):
                continue  # a folder's sync reports nothing, not even a deletion, from outside it
            if data.get("deleted") is not None:
                changed.pop(ident, None)
                deleted[ident] = None
            elif data.get("root") is None:
                deleted.pop(ident, None)
                changed[ident] = item_from(data)
        if isinstance(page.get("@odata.deltaLink"), str):
            return _changes(
                request, list(changed.values()), list(deleted), page["@odata.deltaLink"], resynced
            )
        url = trail.follow(str(page.get("@odata.nextLink") or ""))
    raise UpstreamError(f"Graph ended a page of {subject} with neither a next nor a delta link.")


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


__all__ = ["sync_library"]

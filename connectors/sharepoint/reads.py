"""The SharePoint connector's reads: listings at Graph's largest page, items by path in `$batch`, searches,
downloads and list rows. Every listing continues from a cursor sealed to it.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

from charter.connectors.sharepoint import preview
from charter.connectors.sharepoint.cursors import encode_cursor, link_of
from charter.connectors.sharepoint.models import (
    Column,
    DownloadFile,
    Drive,
    DriveItem,
    FileContent,
    GetItem,
    GetItems,
    ListChildren,
    ListColumns,
    ListDrives,
    ListListItems,
    ListRow,
    SearchHit,
    SearchItems,
    SearchMicrosoft,
    SearchSites,
    Site,
)
from charter.connectors.sharepoint.places import Places
from charter.connectors.sharepoint.responses import (
    ITEM_SELECT,
    column_from,
    drive_from,
    drive_url,
    hit_from,
    item_from,
    path_url,
    row_from,
    site_from,
)
from charter.schemas import NotFound, Page, Provenance, ValidationError
from charter.schemas.types import JsonObject


class Reads(Places):
    """Read handlers; the connector declares them as actions."""

    def sites_matching(self, request: SearchSites) -> Page[Site]:
        data = self.api.get("/sites", f"sites matching {request.query!r}", {"search": request.query})
        return Page[Site](items=[site_from(s) for s in data.get("value", [])])

    def libraries(self, request: ListDrives) -> Page[Drive]:
        site = self.site_id(request.site)
        data = self.api.get(f"/sites/{site}/drives", f"the libraries of {request.site}")
        return Page[Drive](items=[drive_from(d) for d in data.get("value", [])])

    def children(self, request: ListChildren) -> Page[DriveItem]:
        link = link_of(request)
        subject = f"folder {preview.where(request.site, request.library, request.path or '/')}"
        if link is not None:
            data = self.api.get(self.api.on_host(link), subject)
        else:
            drive = self.drive_id(request.site, request.library)
            params = {"$select": ITEM_SELECT, "$top": str(request.per_page)}
            data = self.api.get(path_url(drive, request.path, "/children"), subject, params)
        items = [item_from(d, request.path) for d in data.get("value", [])]
        return Page[DriveItem](items=items, next_cursor=self.next_cursor(request, data))

    def item(self, request: GetItem) -> DriveItem:
        drive = self.drive_id(request.site, request.library)
        subject = preview.where(request.site, request.library, request.path)
        data = self.api.get(path_url(drive, request.path), subject, {"$select": ITEM_SELECT})
        return item_from(data, request.path.rpartition("/")[0])

    def items(self, request: GetItems) -> Page[DriveItem]:
        """Many items by path, 20 to a `$batch`; one missing item refuses the whole read."""
        drive = self.drive_id(request.site, request.library)
        calls = [
            {"id": str(n), "method": "GET", "url": path_url(drive, p) + f"?$select={ITEM_SELECT}"}
            for n, p in enumerate(request.paths)
        ]
        answers = self.api.batch(
            calls,
            f"items of {preview.library_of(request.site, request.library)}",
            self.sleep,
            self.max_rate_limit_wait,
        )
        items = []
        for n, path in enumerate(request.paths):
            answer = answers.get(str(n)) or {}
            if answer.get("status") != 200:
                raise NotFound(
                    f"{preview.where(request.site, request.library, path)} was not found or is not shared "
                    "with this connection."
                )
            items.append(item_from(answer.get("body") or {}, path.rpartition("/")[0]))
        return Page[DriveItem](items=items)

    def search_library(self, request: SearchItems) -> Page[DriveItem]:
        link = link_of(request)
        subject = f"a search of {preview.library_of(request.site, request.library)}"
        if link is not None:
            data = self.api.get(self.api.on_host(link), subject)
        else:
            drive = self.drive_id(request.site, request.library)
            # OData doubles a quote inside a string literal; the whole literal is then percent-encoded.
            query = quote(request.query.replace("'", "''"), safe="")
            params = {"$select": ITEM_SELECT, "$top": str(request.per_page)}
            data = self.api.get(f"{drive_url(drive)}/root/search(q='{query}')", subject, params)
        items = [item_from(d) for d in data.get("value", [])]
        return Page[DriveItem](items=items, next_cursor=self.next_cursor(request, data))

    def download(self, request: DownloadFile) -> FileContent:
        drive = self.drive_id(request.site, request.library)
        subject = preview.where(request.site, request.library, request.path)
        meta = self.api.get(path_url(drive, request.path), subject, {"$select": "id,name,size,file"})
        if meta.get("file") is None:
            raise ValidationError(f"{subject} is a folder; name a file to download.")
        # The pre-authenticated URL is used once, here, and never returned or logged.
        url = str(meta.get("@microsoft.graph.downloadUrl") or "")
        if not url:
            raise NotFound(
                f"Graph gave no download for {subject}; it may be a OneNote or other non-file item."
            )
        wanted = (
            f"bytes={request.start}-{request.start + request.length - 1}"
            if request.start is not None
            else None
        )
        data, headers, cut = self.api.fetch(url, subject, wanted, request.length)
        return _content(request.path, meta, data, headers.get("content-range"), cut)

    def columns(self, request: ListColumns) -> Page[Column]:
        site = self.site_id(request.site)
        data = self.api.get(
            f"/sites/{site}/lists/{quote(request.list, safe='')}/columns", f"list {request.list}"
        )
        return Page[Column](items=[column_from(c) for c in data.get("value", [])])

    def rows(self, request: ListListItems) -> Page[ListRow]:
        link = link_of(request)
        subject = f"list {request.list} of {request.site}"
        if link is not None:
            data = self.api.get(self.api.on_host(link), subject)
        else:
            site = self.site_id(request.site)
            expand = f"fields(select={','.join(request.fields)})" if request.fields else "fields"
            params = {"expand": expand, "$top": str(request.per_page)}
            data = self.api.get(f"/sites/{site}/lists/{quote(request.list, safe='')}/items", subject, params)
        rows = [row_from(r) for r in data.get("value", [])]
        return Page[ListRow](items=rows, next_cursor=self.next_cursor(request, data))

    def search_tenant(self, request: SearchMicrosoft) -> Page[SearchHit]:
        start = _offset(request)
        query = {"entityTypes": [request.entity], "query": {"queryString": request.query}}
        body = {"requests": [{**query, "from": start, "size": request.per_page}]}
        answer = (
            self.api.call("POST", "/search/query", f"a search for {request.query!r}", body=body).body or {}
        )
        container = ((answer.get("value") or [{}])[0].get("hitsContainers") or [{}])[0]
        hits = [hit_from(h) for h in container.get("hits") or []]
        more = bool(container.get("moreResultsAvailable"))
        cursor = encode_cursor(request, f"/{start + len(hits)}") if more and hits else None
        return Page[SearchHit](items=hits, next_cursor=cursor)


def _offset(request: SearchMicrosoft) -> int:
    # Microsoft Search pages by offset; the cursor keeps it as a sealed `/N`.
    link = link_of(request)
    return int(link[1:]) if link and link[1:].isdigit() else 0


def _content(path: str, meta: JsonObject, data: bytes, content_range: str | None, cut: bool) -> FileContent:
    try:
        text: str | None = data.decode("utf-8")
        encoded = None
    except UnicodeDecodeError:
        text, encoded = None, base64.b64encode(data).decode()
    return FileContent(
        id=str(meta["id"]),
        provenance=Provenance(connector="sharepoint", id=f"item:{meta['id']}", url=meta.get("webUrl")),
        path=path,
        size=int(meta.get("size") or len(data)),
        text=text,
        base64=encoded,
        truncated=cut,
        range=content_range,
    )


__all__ = ["Reads"]

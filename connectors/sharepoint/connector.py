"""The SharePoint connector: sites, libraries, files, lists and sharing, over Microsoft Graph v1.0."""

from __future__ import annotations

import base64
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel

from charter.auth.providers.microsoft import (
    FILES_READ,
    FILES_READWRITE,
    FILES_READWRITE_ALL,
    SITES_READ_ALL,
    SITES_READWRITE_ALL,
    SITES_SELECTED,
)
from charter.connectors.base import (
    ActionSpec,
    Attribution,
    Connector,
    Credentials,
    DraftPreview,
    Reach,
    Risk,
    WriteContext,
    action,
)
from charter.connectors.sharepoint import preview
from charter.connectors.sharepoint.client import GraphClient
from charter.connectors.sharepoint.cursors import encode_cursor, link_of
from charter.connectors.sharepoint.models import (
    Column,
    CreateFolder,
    CreateSharingLink,
    DeleteItem,
    DownloadFile,
    Drive,
    DriveItem,
    FileContent,
    GetItem,
    GetItems,
    GetSite,
    InvitePeople,
    LibraryChanges,
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
    SyncLibrary,
    UpdateListItem,
    UploadFile,
)
from charter.connectors.sharepoint.own_drive import (
    MY_SITE,
    CreateMyFolder,
    DeleteMyItem,
    DownloadMyFile,
    GetMyItem,
    ListMyFiles,
    UploadMyFile,
)
from charter.connectors.sharepoint.responses import (
    ITEM_SELECT,
    column_from,
    drive_from,
    hit_from,
    item_from,
    path_url,
    row_from,
    site_from,
)
from charter.connectors.sharepoint.writes import Writes
from charter.schemas import NotFound, Page, Provenance, ValidationError, WriteResult
from charter.schemas.types import JsonObject

# Requests name libraries by site path, and resolving a site by path needs Sites.Read.All, which
# also reads every library's files: it is the least a read by site path can ask for. Writing
# files adds Files.ReadWrite.All; writing list rows needs Sites.ReadWrite.All.
FILES = (SITES_READ_ALL,)
FILES_WRITE = (SITES_READ_ALL, FILES_READWRITE_ALL)
SITES = (SITES_READ_ALL,)
LISTS_WRITE = (SITES_READWRITE_ALL,)
# The person's own OneDrive needs only Files.Read / Files.ReadWrite, which reach no library.
OWN_READ = (FILES_READ,)
OWN_WRITE = (FILES_READWRITE,)

# The Graph endpoints each action calls, by their API reference page, for the scope check against
# Microsoft's permission reference (charter.contract_tests.graph_permissions).
_LIBRARY = ("site-getbypath", "drive-list")
_ITEM_WRITE = (*_LIBRARY, "driveitem-get")
API_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "search_sites": ("site-search",),
    "get_site": ("site-getbypath",),
    "list_drives": _LIBRARY,
    "list_children": (*_LIBRARY, "driveitem-list-children"),
    "get_item": (*_LIBRARY, "driveitem-get"),
    "get_items": (*_LIBRARY, "driveitem-get"),
    "search_items": (*_LIBRARY, "driveitem-search"),
    "download_file": (*_LIBRARY, "driveitem-get", "driveitem-get-content"),
    "list_columns": ("site-getbypath", "columndefinition-list"),
    "list_items": ("site-getbypath", "listitem-list"),
    "sync_library": (*_LIBRARY, "driveitem-delta"),
    "search_microsoft": ("search-query-driveitem", "search-query-listitem-site"),
    "upload_file": (
        *_ITEM_WRITE,
        "driveitem-get-content",
        "driveitem-put-content",
        "driveitem-createuploadsession",
        "driveitem-update",
    ),
    "create_folder": (*_ITEM_WRITE, "driveitem-post-children"),
    "delete_item": (*_ITEM_WRITE, "driveitem-delete"),
    "create_sharing_link": (*_ITEM_WRITE, "driveitem-createlink"),
    "invite": (*_ITEM_WRITE, "driveitem-list-permissions", "driveitem-invite"),
    "update_list_item": ("site-getbypath", "columndefinition-list", "listitem-get", "listitem-update"),
    # The person's own OneDrive, through `/me/drive`: no site or library to resolve.
    "list_my_files": ("driveitem-list-children",),
    "get_my_item": ("driveitem-get",),
    "download_my_file": ("driveitem-get", "driveitem-get-content"),
    "upload_my_file": (
        "driveitem-get",
        "driveitem-get-content",
        "driveitem-put-content",
        "driveitem-createuploadsession",
        "driveitem-update",
    ),
    "create_my_folder": ("driveitem-get", "driveitem-post-children"),
    "delete_my_item": ("driveitem-delete",),
}
OWN_DRIVE_ACTIONS = frozenset(a for a in API_ENDPOINTS if "_my_" in a)
DRAFTS = {
    "draft_upload": "upload_file",
    "draft_folder": "create_folder",
    "draft_delete": "delete_item",
    "draft_sharing_link": "create_sharing_link",
    "draft_invite": "invite",
    "draft_list_update": "update_list_item",
}
API_ENDPOINTS.update({draft: API_ENDPOINTS[write] for draft, write in DRAFTS.items()})


class SharePointConnector(Writes, Connector):
    """SharePoint sites, document libraries, files, lists and sharing, for agents acting for a person."""

    name = "sharepoint"
    provider = "microsoft"
    display_name: ClassVar[str] = "SharePoint"
    api_endpoints: ClassVar[dict[str, tuple[str, ...]]] = API_ENDPOINTS

    def __init__(self, credentials: Credentials, **kwargs: Any) -> None:
        super().__init__(credentials, **kwargs)
        self.api = GraphClient(self.credentials, self.base_url)
        # Site and library ids by address: resolved once per connector.
        self._resolved: dict[str, str] = {}

    # -- read ------------------------------------------------------------------------------

    @action("read", scopes=SITES)
    def search_sites(self, request: SearchSites) -> Page[Site]:
        """Find SharePoint sites by name."""
        data = self.api.get("/sites", f"sites matching {request.query!r}", {"search": request.query})
        return Page[Site](items=[site_from(s) for s in data.get("value", [])])

    @action("read", scopes=SITES)
    def get_site(self, request: GetSite) -> Site:
        """Get one site by host and path."""
        return site_from(self._site(request.site))

    @action("read", scopes=FILES)
    def list_drives(self, request: ListDrives) -> Page[Drive]:
        """List a site's document libraries."""
        site = self._site_id(request.site)
        data = self.api.get(f"/sites/{site}/drives", f"the libraries of {request.site}")
        return Page[Drive](items=[drive_from(d) for d in data.get("value", [])])

    @action("read", scopes=FILES)
    def list_children(self, request: ListChildren) -> Page[DriveItem]:
        """List the files and folders in a library folder."""
        link = link_of(request)
        subject = f"folder {preview.where(request.site, request.library, request.path or '/')}"
        if link is not None:
            data = self.api.get(self.api.on_host(link), subject)
        else:
            drive = self._drive_id(request.site, request.library)
            params = {"$select": ITEM_SELECT, "$top": str(request.per_page)}
            data = self.api.get(path_url(drive, request.path, "/children"), subject, params)
        items = [item_from(d, request.path) for d in data.get("value", [])]
        return Page[DriveItem](items=items, next_cursor=self._next(request, data))

    # What leaves the drive: a rule can read the file's size and type (`item.size > 10MB`).
    policy_facts: ClassVar[dict[str, dict[str, type[BaseModel]]]] = {
        name: {"item": DriveItem} for name in ("download_file", "create_sharing_link", "invite")
    }

    def facts_for(self, spec: ActionSpec, request: BaseModel) -> dict[str, BaseModel]:
        """The file or folder a download, a sharing link or an invitation is about."""
        if spec.name not in self.policy_facts:
            return {}
        site, library, path = (getattr(request, f) for f in ("site", "library", "path"))
        return {"item": self.get_item(GetItem(site=site, library=library, path=path))}

    @action("read", scopes=FILES)
    def get_item(self, request: GetItem) -> DriveItem:
        """Get one file or folder by path: size, type, eTag."""
        drive = self._drive_id(request.site, request.library)
        subject = preview.where(request.site, request.library, request.path)
        data = self.api.get(path_url(drive, request.path), subject, {"$select": ITEM_SELECT})
        return item_from(data, request.path.rpartition("/")[0])

    @action("read", scopes=FILES)
    def get_items(self, request: GetItems) -> Page[DriveItem]:
        """Get many files or folders by path at once."""
        drive = self._drive_id(request.site, request.library)
        calls = [
            {"id": str(n), "method": "GET", "url": path_url(drive, p) + f"?$select={ITEM_SELECT}"}
            for n, p in enumerate(request.paths)
        ]
        answers = self.api.batch(
            calls, f"items of {request.site} > {request.library}", self.sleep, self.max_rate_limit_wait
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

    @action("read", scopes=FILES)
    def search_items(self, request: SearchItems) -> Page[DriveItem]:
        """Search a library's file names and text."""
        link = link_of(request)
        subject = f"a search of {request.site} > {request.library}"
        if link is not None:
            data = self.api.get(self.api.on_host(link), subject)
        else:
            drive = self._drive_id(request.site, request.library)
            query = request.query.replace("'", "''")
            params = {"$select": ITEM_SELECT, "$top": str(request.per_page)}
            data = self.api.get(f"/drives/{drive}/root/search(q='{quote(query, safe='')}')", subject, params)
        items = [item_from(d) for d in data.get("value", [])]
        return Page[DriveItem](items=items, next_cursor=self._next(request, data))

    @action("read", scopes=FILES)
    def download_file(self, request: DownloadFile) -> FileContent:
        """Read a file (text, or base64), whole or a byte range."""
        drive = self._drive_id(request.site, request.library)
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

    @action("read", scopes=SITES)
    def list_columns(self, request: ListColumns) -> Page[Column]:
        """A list's columns: names, types, choices."""
        site = self._site_id(request.site)
        data = self.api.get(
            f"/sites/{site}/lists/{quote(request.list, safe='')}/columns", f"list {request.list}"
        )
        return Page[Column](items=[column_from(c) for c in data.get("value", [])])

    @action("read", scopes=SITES)
    def list_items(self, request: ListListItems) -> Page[ListRow]:
        """List a SharePoint list's rows with fields and eTags."""
        link = link_of(request)
        subject = f"list {request.list} of {request.site}"
        if link is not None:
            data = self.api.get(self.api.on_host(link), subject)
        else:
            site = self._site_id(request.site)
            expand = f"fields(select={','.join(request.fields)})" if request.fields else "fields"
            params = {"expand": expand, "$top": str(request.per_page)}
            data = self.api.get(f"/sites/{site}/lists/{quote(request.list, safe='')}/items", subject, params)
        rows = [row_from(r) for r in data.get("value", [])]
        return Page[ListRow](items=rows, next_cursor=self._next(request, data))

    @action("read", scopes=SITES)
    def search_microsoft(self, request: SearchMicrosoft) -> Page[SearchHit]:
        """Microsoft Search across sites: files, list rows or sites."""
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

    @action("read", scopes=FILES)
    def sync_library(self, request: SyncLibrary) -> LibraryChanges:
        """What changed in a library since the last sync."""
        return self.delta(request)

    # -- the person's own OneDrive -----------------------------------------------------------

    @action("read", scopes=OWN_READ)
    def list_my_files(self, request: ListMyFiles) -> Page[DriveItem]:
        """List a folder of the person's own OneDrive."""
        return self.list_children(request)

    @action("read", scopes=OWN_READ)
    def get_my_item(self, request: GetMyItem) -> DriveItem:
        """Get an item of the person's OneDrive by path."""
        return self.get_item(request)

    @action("read", scopes=OWN_READ)
    def download_my_file(self, request: DownloadMyFile) -> FileContent:
        """Read a file of the person's OneDrive."""
        return self.download_file(request)

    @action("write", scopes=OWN_WRITE, reaches="person")
    def upload_my_file(self, change: UploadMyFile, ctx: WriteContext) -> WriteResult:
        """Upload a text file to the person's OneDrive."""
        return self.write_upload(change, ctx, "upload_my_file")

    @action("write", scopes=OWN_WRITE, reaches="person")
    def create_my_folder(self, change: CreateMyFolder, ctx: WriteContext) -> WriteResult:
        """Create a folder in the person's OneDrive."""
        return self.write_folder(change, ctx, "create_my_folder")

    @action("write", scopes=OWN_WRITE, risks=("destructive",), reaches="person")
    def delete_my_item(self, change: DeleteMyItem, ctx: WriteContext) -> WriteResult:
        """Recycle an item of the person's OneDrive."""
        return self.write_delete(change, ctx, "delete_my_item")

    # -- draft -----------------------------------------------------------------------------

    @action("draft", scopes=FILES_WRITE, commits="upload_file", reaches="person")
    def draft_upload(self, change: UploadFile, attribution: Attribution | None) -> DraftPreview:
        """Draft an upload for review, with a diff."""
        current = self.current_file(change)
        return DraftPreview(
            preview=preview.upload_preview(self.place(change), change.content, current, attribution)
        )

    @action("draft", scopes=FILES_WRITE, commits="create_folder", reaches="person")
    def draft_folder(self, change: CreateFolder, attribution: Attribution | None) -> DraftPreview:
        """Draft a new folder for review."""
        self.require_parent(change)
        return DraftPreview(preview=preview.folder_preview(self.place(change), attribution))

    @action("draft", scopes=FILES_WRITE, commits="delete_item", reaches="person")
    def draft_delete(self, change: DeleteItem, attribution: Attribution | None) -> DraftPreview:
        """Draft moving an item to the recycle bin."""
        item = self.raw_item(change)
        return DraftPreview(preview=preview.delete_preview(self.place(change), item), url=item.get("webUrl"))

    @action("draft", scopes=FILES_WRITE, commits="create_sharing_link", reaches="person")
    def draft_sharing_link(self, change: CreateSharingLink, attribution: Attribution | None) -> DraftPreview:
        """Draft a sharing link, saying who it reaches."""
        item = self.raw_item(change)
        return DraftPreview(
            preview=preview.link_preview(self.place(change), change.type, change.scope),
            url=item.get("webUrl"),
        )

    @action("draft", scopes=FILES_WRITE, commits="invite", reaches="person")
    def draft_invite(self, change: InvitePeople, attribution: Attribution | None) -> DraftPreview:
        """Draft giving people access to an item."""
        item = self.raw_item(change)
        outside = self.outsiders(change.recipients)
        text = preview.invite_preview(
            self.place(change),
            change.recipients,
            outside,
            change.role,
            change.message,
            change.send_invitation,
        )
        return DraftPreview(preview=text, url=item.get("webUrl"))

    @action("draft", scopes=LISTS_WRITE, commits="update_list_item", reaches="person")
    def draft_list_update(self, change: UpdateListItem, attribution: Attribution | None) -> DraftPreview:
        """Draft a change to a list row's fields."""
        current = self.checked_row(change)
        place = f"{change.site} > list {change.list} > row {change.item_id}"
        return DraftPreview(preview=preview.fields_preview(place, current.get("fields") or {}, change.fields))

    # -- write -----------------------------------------------------------------------------

    @action("write", scopes=FILES_WRITE, reaches="domain")
    def upload_file(self, change: UploadFile, ctx: WriteContext) -> WriteResult:
        """Upload a text file (new, or replacing one)."""
        return self.write_upload(change, ctx)

    @action("write", scopes=FILES_WRITE, reaches="domain")
    def create_folder(self, change: CreateFolder, ctx: WriteContext) -> WriteResult:
        """Create a folder."""
        return self.write_folder(change, ctx)

    @action("write", scopes=FILES_WRITE, risks=("destructive",), reaches="domain")
    def delete_item(self, change: DeleteItem, ctx: WriteContext) -> WriteResult:
        """Move a file or folder to the recycle bin."""
        return self.write_delete(change, ctx)

    @action("write", scopes=FILES_WRITE, risks=("sharing",), reaches="public")
    def create_sharing_link(self, change: CreateSharingLink, ctx: WriteContext) -> WriteResult:
        """Create a view or edit link to a file or folder."""
        return self.write_link(change, ctx)

    @action("write", scopes=FILES_WRITE, risks=("sharing",), reaches="outsiders")
    def invite(self, change: InvitePeople, ctx: WriteContext) -> WriteResult:
        """Give people read or write access to an item."""
        return self.write_invite(change, ctx)

    @action("write", scopes=LISTS_WRITE, risks=("rewrites",), reaches="domain")
    def update_list_item(self, change: UpdateListItem, ctx: WriteContext) -> WriteResult:
        """Change a list row's fields (refused if it changed since read)."""
        return self.write_fields(change, ctx)

    # -- declarations per call ---------------------------------------------------------------

    def scopes_for(self, spec: ActionSpec, request: BaseModel) -> tuple[str, ...]:
        """The action's scopes, or Sites.Selected alone for a connection made in that mode."""
        # Sites.Selected reaches no OneDrive: the own drive keeps its own scopes in that mode.
        if SITES_SELECTED in self.credentials.granted_scopes and spec.name not in OWN_DRIVE_ACTIONS:
            return (SITES_SELECTED,)
        return spec.scopes

    def risks_for(self, spec: ActionSpec, request: BaseModel) -> frozenset[Risk]:
        """`external` for an anonymous link or an invitation outside; `rewrites` to replace a file."""
        risks = set(spec.risks)
        if isinstance(request, CreateSharingLink) and request.scope == "anonymous":
            risks.add("external")
        if isinstance(request, InvitePeople) and self.outsiders(request.recipients):
            risks.add("external")
        if isinstance(request, UploadFile) and request.replace:
            risks.add("rewrites")
        return frozenset(risks)

    def reach_for(self, spec: ActionSpec, request: BaseModel) -> Reach | None:
        """A link reaches whom its scope names; an invitation, the people it names."""
        if spec.verb == "write" and isinstance(request, CreateSharingLink):
            # `users` links work only for people the item is already shared with: the domain at most.
            return "public" if request.scope == "anonymous" else "domain"
        return super().reach_for(spec, request)

    # -- plumbing --------------------------------------------------------------------------

    def _site(self, address: str) -> JsonObject:
        host, _, path = address.partition("/")
        return self.api.get(f"/sites/{host}:/{quote(path, safe='/')}", f"site {address}")

    def _site_id(self, address: str) -> str:
        key = "site:" + address.lower()
        if key not in self._resolved:
            self._resolved[key] = str(self._site(address)["id"])
        return self._resolved[key]

    def _drive_id(self, address: str, library: str) -> str:
        if address == MY_SITE:
            return MY_SITE  # the person's own OneDrive: `/me/drive` (see path_url)
        key = f"drive:{address.lower()}:{library.lower()}"
        if key not in self._resolved:
            site = self._site_id(address)
            drives = self.api.get(
                f"/sites/{site}/drives", f"the libraries of {address}", {"$select": "id,name"}
            )
            found = next(
                (d for d in drives.get("value", []) if str(d.get("name")).lower() == library.lower()), None
            )
            if found is None:
                names = ", ".join(str(d.get("name")) for d in drives.get("value", []))
                raise NotFound(f"{address} has no library {library!r}; it has {names or 'none'}.")
            self._resolved[key] = str(found["id"])
        return self._resolved[key]

    def _next(self, request: BaseModel, data: JsonObject) -> str | None:
        link = data.get("@odata.nextLink")
        return encode_cursor(request, str(link)) if isinstance(link, str) else None


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

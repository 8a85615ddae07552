"""The SharePoint connector: sites, libraries, files, lists and sharing, over Microsoft Graph v1.0.

Read top to bottom, the class is the table of the actions: each names its scopes, risks and reach,
and hands the work to `Reads`, `Drafts` or `Writes` (the own OneDrive's actions are the library's).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel

from charter.auth.providers.microsoft import SITES_SELECTED
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
from charter.connectors.sharepoint.client import GraphClient
from charter.connectors.sharepoint.endpoints import (
    API_ENDPOINTS,
    FILES,
    FILES_WRITE,
    LISTS_WRITE,
    OWN_DRIVE_ACTIONS,
    SITES,
)
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
    CreateMyFolder,
    DeleteMyItem,
    DownloadMyFile,
    GetMyItem,
    ListMyFiles,
    SearchMyFiles,
    SyncMyDrive,
    UploadMyFile,
    on_own_drive,
)
from charter.connectors.sharepoint.reads import Reads
from charter.connectors.sharepoint.responses import site_from
from charter.connectors.sharepoint.sync import sync_library
from charter.connectors.sharepoint.writes import Writes
from charter.schemas import Page, WriteResult


class SharePointConnector(Reads, Writes, Connector):
    """SharePoint sites, document libraries, files, lists and sharing, for agents acting for a person."""

    name = "sharepoint"
    provider = "microsoft"
    display_name: ClassVar[str] = "SharePoint"
    api_endpoints: ClassVar[dict[str, tuple[str, ...]]] = API_ENDPOINTS

    # The tenant's RU per minute, when the operator knows it (else learnt from Graph's headers).
    ru_per_minute: ClassVar[int | None] = None

    def __init__(self, credentials: Credentials, **kwargs: Any) -> None:
        super().__init__(credentials, **kwargs)
        # The clock the RU budget reads; tests give the sandbox's, with its `advance` as sleep.
        self.clock: Callable[[], float] = time.time
        self.api = GraphClient(
            self.credentials,
            self.base_url,
            clock=lambda: self.clock(),
            sleep=lambda seconds: self.sleep(seconds),
            max_wait=lambda: self.max_rate_limit_wait,
        )
        if self.ru_per_minute is not None:
            self.api.budget.per_minute = self.ru_per_minute
        self.places: dict[str, str] = {}

    # -- read ------------------------------------------------------------------------------

    @action("read", scopes=SITES)
    def search_sites(self, request: SearchSites) -> Page[Site]:
        """Find SharePoint sites by name."""
        return self.sites_matching(request)

    @action("read", scopes=SITES)
    def get_site(self, request: GetSite) -> Site:
        """Get one site by host and path."""
        return site_from(self.site(request.site))

    @action("read", scopes=FILES)
    def list_drives(self, request: ListDrives) -> Page[Drive]:
        """List a site's document libraries."""
        return self.libraries(request)

    @action("read", scopes=FILES)
    def list_children(self, request: ListChildren) -> Page[DriveItem]:
        """List the files and folders in a library folder."""
        return self.children(request)

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
        return self.item(request)

    @action("read", scopes=FILES)
    def get_items(self, request: GetItems) -> Page[DriveItem]:
        """Get many files or folders by path at once."""
        return self.items(request)

    @action("read", scopes=FILES)
    def search_items(self, request: SearchItems) -> Page[DriveItem]:
        """Search a library's file names and text."""
        return self.search_library(request)

    @action("read", scopes=FILES)
    def download_file(self, request: DownloadFile) -> FileContent:
        """Read a file (text, or base64), whole or a byte range."""
        return self.download(request)

    @action("read", scopes=SITES)
    def list_columns(self, request: ListColumns) -> Page[Column]:
        """A list's columns: names, types, choices."""
        return self.columns(request)

    @action("read", scopes=SITES)
    def list_items(self, request: ListListItems) -> Page[ListRow]:
        """List a SharePoint list's rows with fields and eTags."""
        return self.rows(request)

    @action("read", scopes=SITES)
    def search_microsoft(self, request: SearchMicrosoft) -> Page[SearchHit]:
        """Microsoft Search across sites: files, list rows or sites."""
        return self.search_tenant(request)

    @action("read", scopes=FILES)
    def sync_library(self, request: SyncLibrary) -> LibraryChanges:
        """What changed in a library since the last sync."""
        return sync_library(self, request)

    # -- draft -----------------------------------------------------------------------------

    @action("draft", scopes=FILES_WRITE, commits="upload_file", reaches="person")
    def draft_upload(self, change: UploadFile, attribution: Attribution | None) -> DraftPreview:
        """Draft an upload for review, with a diff."""
        return self.upload_draft(change, attribution)

    @action("draft", scopes=FILES_WRITE, commits="create_folder", reaches="person")
    def draft_folder(self, change: CreateFolder, attribution: Attribution | None) -> DraftPreview:
        """Draft a new folder for review."""
        return self.folder_draft(change, attribution)

    @action("draft", scopes=FILES_WRITE, commits="delete_item", reaches="person")
    def draft_delete(self, change: DeleteItem, attribution: Attribution | None) -> DraftPreview:
        """Draft moving an item to the recycle bin."""
        return self.delete_draft(change)

    @action("draft", scopes=FILES_WRITE, commits="create_sharing_link", reaches="person")
    def draft_sharing_link(self, change: CreateSharingLink, attribution: Attribution | None) -> DraftPreview:
        """Draft a sharing link, saying who it reaches."""
        return self.link_draft(change)

    @action("draft", scopes=FILES_WRITE, commits="invite", reaches="person")
    def draft_invite(self, change: InvitePeople, attribution: Attribution | None) -> DraftPreview:
        """Draft giving people access to an item."""
        return self.invite_draft(change)

    @action("draft", scopes=LISTS_WRITE, commits="update_list_item", reaches="person")
    def draft_list_update(self, change: UpdateListItem, attribution: Attribution | None) -> DraftPreview:
        """Draft a change to a list row's fields."""
        return self.fields_draft(change)

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

    # -- the person's own OneDrive: the library actions at `/me/drive` -------------------------

    list_my_files = on_own_drive(
        "list_my_files", list_children, ListMyFiles, "List a folder of the person's own OneDrive."
    )
    get_my_item = on_own_drive(
        "get_my_item", get_item, GetMyItem, "Get an item of the person's OneDrive by path."
    )
    search_my_files = on_own_drive(
        "search_my_files", search_items, SearchMyFiles, "Search the person's OneDrive."
    )
    download_my_file = on_own_drive(
        "download_my_file", download_file, DownloadMyFile, "Read a file of the person's OneDrive."
    )
    sync_my_drive = on_own_drive(
        "sync_my_drive", sync_library, SyncMyDrive, "What changed in the person's OneDrive."
    )
    upload_my_file = on_own_drive(
        "upload_my_file", upload_file, UploadMyFile, "Upload a text file to the person's OneDrive."
    )
    create_my_folder = on_own_drive(
        "create_my_folder", create_folder, CreateMyFolder, "Create a folder in the person's OneDrive."
    )
    delete_my_item = on_own_drive(
        "delete_my_item", delete_item, DeleteMyItem, "Recycle an item of the person's OneDrive."
    )

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


__all__ = ["OWN_DRIVE_ACTIONS", "SharePointConnector"]

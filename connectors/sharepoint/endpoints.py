"""What each SharePoint action asks of Graph: its scopes, and the Graph endpoints it calls.

The endpoints are named by their v1.0 API reference page, for the scope check against Microsoft's
permission reference (`charter.contract_tests.graph_permissions`).
"""

from __future__ import annotations

from charter.auth.providers.microsoft import (
    FILES_READ,
    FILES_READWRITE,
    FILES_READWRITE_ALL,
    SITES_READ_ALL,
    SITES_READWRITE_ALL,
)

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

# Finding a library by site path and name; the own drive (`/me/drive`) skips both.
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
}

# The person's own OneDrive action → the library action it is, with the drive fixed to `/me/drive`.
OWN_DRIVE: dict[str, str] = {
    "list_my_files": "list_children",
    "get_my_item": "get_item",
    "search_my_files": "search_items",
    "download_my_file": "download_file",
    "sync_my_drive": "sync_library",
    "upload_my_file": "upload_file",
    "create_my_folder": "create_folder",
    "delete_my_item": "delete_item",
}
OWN_DRIVE_ACTIONS = frozenset(OWN_DRIVE)
API_ENDPOINTS.update(
    {own: tuple(e for e in API_ENDPOINTS[of] if e not in _LIBRARY) for own, of in OWN_DRIVE.items()}
)

# Each draft action → the write that commits it; a draft reads what its write will read.
DRAFTS = {
    "draft_upload": "upload_file",
    "draft_folder": "create_folder",
    "draft_delete": "delete_item",
    "draft_sharing_link": "create_sharing_link",
    "draft_invite": "invite",
    "draft_list_update": "update_list_item",
}
API_ENDPOINTS.update({draft: API_ENDPOINTS[write] for draft, write in DRAFTS.items()})

__all__ = [
    "API_ENDPOINTS",
    "DRAFTS",
    "FILES",
    "FILES_WRITE",
    "LISTS_WRITE",
    "OWN_DRIVE",
    "OWN_DRIVE_ACTIONS",
    "OWN_READ",
    "OWN_WRITE",
    "SITES",
]

"""SharePoint request models (what an agent may ask) and resource models (what it gets back).

Items are addressed by site, library and path, never by opaque id, so a grant's constraints
(`sites`, `drives`, `folders` as path prefixes, `lists`) are checked on the arguments themselves.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from charter.connectors.base import recipient_field, resource_field
from charter.schemas import Change, Resource

CONNECTOR = "sharepoint"
# A site as `host/server-relative-path`, e.g. `contoso.sharepoint.com/sites/Finance`.
SITE_PATTERN = r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?:/[A-Za-z0-9._~%-]+)*$"
# SharePoint refuses these characters in names; `..` and `.` segments would escape a folder grant.
BAD_SEGMENT = ("", ".", "..")
BAD_CHARS = set('"*:<>?\\|#%\x00')
MAX_PAGE = 999
# A list's name as Graph takes it in a URL segment: no separators, no leading `.` (so never `..`).
LIST_PATTERN = r"^[^./\\?#%:*<>|\"][^/\\?#%:*<>|\"]{0,254}$"
SIMPLE_UPLOAD = 4 * 1024 * 1024
MAX_UPLOAD = 250 * 1024 * 1024
MAX_DOWNLOAD = 10 * 1024 * 1024

Cursor = Annotated[
    str | None,
    Field(default=None, max_length=4000, description="From the last page."),
]
PerPage = Annotated[int, Field(ge=1, le=MAX_PAGE)]


def site_field() -> Any:
    return resource_field(
        "sites",
        "e.g. `contoso.sharepoint.com/sites/HR`.",
        pattern=SITE_PATTERN,
    )


def library_field() -> Any:
    return resource_field(
        "drives",
        "Library.",
        default="Documents",
    )


def check_library(value: str) -> str:
    """A library name as Graph gives it (1 to 128 characters); checked here, not in the tool schema."""
    if not 1 <= len(value) <= 128:
        raise ValueError("name a library of 1 to 128 characters, e.g. `Documents`")
    return value


def check_path(value: str, *, allow_root: bool) -> str:
    """A library-relative path: `/`-separated names, no `.`/`..`, no characters SharePoint refuses."""
    cleaned = value.strip("/")
    # Checked before splitting, so a huge value is refused at once.
    if len(cleaned) > 400:
        raise ValueError("the path is longer than SharePoint allows (400 characters)")
    if not cleaned:
        if allow_root:
            return ""
        raise ValueError("name a file or folder inside the library, e.g. `Reports/Q1.txt`")
    for part in cleaned.split("/"):
        if part in BAD_SEGMENT or part != part.strip() or BAD_CHARS & set(part):
            raise ValueError(
                f'`{part}` is not a valid file or folder name (no . or .., no " * : < > ? \\ | # %)'
            )
    return cleaned


_CONFIG = ConfigDict(extra="forbid", frozen=True)


class _Request(BaseModel):
    model_config = _CONFIG


class _SiteRequest(_Request):
    site: str = site_field()


class _LibraryRequest(_SiteRequest):
    library: str = library_field()

    @field_validator("library")
    @classmethod
    def _library(cls, value: str) -> str:
        return check_library(value)


class _PathRequest(_LibraryRequest):
    path: str = resource_field("folders", "e.g. `Reports/a.txt`.")

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_path(value, allow_root=False)


# -- reads ---------------------------------------------------------------------------------


class SearchSites(_Request):
    """Sites whose name or description matches the words."""

    query: str = Field(
        min_length=1,
        max_length=200,
    )


class GetSite(_SiteRequest):
    """One site by host and path."""


class ListDrives(_SiteRequest):
    """The document libraries of a site."""


class ListChildren(_LibraryRequest):
    """The files and folders directly inside a folder."""

    path: str = resource_field("folders", "Folder; empty for the top.", default="")
    per_page: PerPage = MAX_PAGE
    cursor: Cursor = None

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_path(value, allow_root=True)


class GetItem(_PathRequest):
    """One file or folder by path."""


class GetItems(_LibraryRequest):
    """Many files or folders by path, read together (20 per batch request)."""

    paths: list[str] = resource_field("folders", "Paths in the library.", min_length=1, max_length=200)

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        return [check_path(v, allow_root=False) for v in value]


class SearchItems(_LibraryRequest):
    """Files and folders of a library whose name or text matches the words."""

    query: str = Field(
        min_length=1,
        max_length=200,
    )
    per_page: PerPage = 200
    cursor: Cursor = None


class DownloadFile(_PathRequest):
    """A file's bytes (text decoded as UTF-8), optionally one byte range."""

    start: int | None = Field(default=None, ge=0, description="First byte.")
    length: int = Field(default=MAX_DOWNLOAD, ge=1, le=MAX_DOWNLOAD, description="Max bytes.")


class ListColumns(_SiteRequest):
    """The columns of a list: internal names, types, choices, which are read-only."""

    list: str = resource_field("lists", "List name, e.g. `Contracts`.", pattern=LIST_PATTERN)


class ListListItems(ListColumns):
    """Rows of a list with their field values."""

    fields: list[str] = Field(default_factory=list, max_length=50, description="Only these columns.")
    per_page: Annotated[int, Field(ge=1, le=5000)] = 200
    cursor: Cursor = None


class SearchMicrosoft(_Request):
    """Microsoft Search across every site the person can open: files, list rows or sites."""

    query: str = Field(min_length=1, max_length=500, description="Keywords (KQL).")
    entity: Literal["driveItem", "listItem", "site"] = Field(
        default="driveItem",
    )
    per_page: Annotated[int, Field(ge=1, le=500)] = 25
    cursor: Cursor = None


class SyncLibrary(_LibraryRequest):
    """What changed in a library (or one folder of it) since the last sync."""

    folder: str = resource_field("folders", "Only this folder's changes.", default="")
    cursor: str | None = Field(
        default=None, max_length=4000, description="From the last sync; omit at first."
    )

    @field_validator("folder")
    @classmethod
    def _folder(cls, value: str) -> str:
        return check_path(value, allow_root=True)


# -- changes -------------------------------------------------------------------------------


class _PathChange(Change):
    model_config = _CONFIG

    site: str = site_field()
    library: str = library_field()
    path: str = resource_field("folders", "e.g. `Reports/a.txt`.")

    @field_validator("library")
    @classmethod
    def _library(cls, value: str) -> str:
        return check_library(value)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_path(value, allow_root=False)


class UploadFile(_PathChange):
    """Create or replace a text file at a path (its folder must exist)."""

    content: str = Field(max_length=MAX_UPLOAD, description="Text.")
    replace: bool = Field(default=False, description="Overwrite.")


class CreateFolder(_PathChange):
    """A new folder at a path (its parent must exist)."""


class DeleteItem(_PathChange):
    """Move a file or folder to the site's recycle bin."""


LinkType = Literal["view", "edit"]
LinkScope = Literal["organization", "users", "anonymous"]


class CreateSharingLink(_PathChange):
    """A sharing link to a file or folder."""

    type: LinkType = Field(default="view", description="view or edit.")
    scope: LinkScope = Field(
        default="organization",
        description="anonymous: anyone with the link.",
    )


class InvitePeople(_PathChange):
    """Give people access to a file or folder, optionally with a message."""

    recipients: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]] = (
        recipient_field("Email addresses.", min_length=1, max_length=50)
    )
    role: Literal["read", "write"] = Field(default="read", description="read or write.")
    message: str = Field(default="", max_length=2000, description="Note sent with it.")
    send_invitation: bool = Field(default=True, description="Email them.")


class UpdateListItem(Change):
    """Change fields of a list row; refused when the row changed since `etag` was read."""

    model_config = _CONFIG

    site: str = site_field()
    list: str = resource_field("lists", "List name, e.g. `Contracts`.", pattern=LIST_PATTERN)
    item_id: str = Field(pattern=r"^[0-9]{1,10}$", description="Row id.")
    fields: dict[str, str | int | float | bool | None] = Field(
        min_length=1, max_length=50, description="Column name: value."
    )
    etag: str | None = Field(default=None, max_length=200, description="eTag from list_items.")


# -- resources -----------------------------------------------------------------------------


class Site(Resource):
    """A SharePoint site."""

    name: str
    display_name: str
    description: str = ""
    web_url: str
    address: str = Field(description="host/path, as requests name it.")


class Drive(Resource):
    """A document library."""

    name: str
    drive_type: str
    web_url: str | None = None
    quota_remaining: int | None = None


class DriveItem(Resource):
    """A file or folder."""

    name: str
    path: str = resource_field("folders", "Path inside the library.")
    is_folder: bool
    size: int = 0
    etag: str | None = None
    mime_type: str | None = None
    child_count: int | None = None
    modified_at: str | None = None
    modified_by: str | None = None


class FileContent(Resource):
    """Bytes of a file: UTF-8 text when it decodes, else base64."""

    path: str
    size: int
    text: str | None = None
    base64: str | None = None
    truncated: bool = False
    range: str | None = None


class Column(Resource):
    """A list column."""

    name: str
    display_name: str
    kind: str
    read_only: bool = False
    required: bool = False
    choices: list[str] = Field(default_factory=list)


class ListRow(Resource):
    """A list row with its field values."""

    etag: str
    fields: dict[str, Any]


class SearchHit(Resource):
    """One Microsoft Search result; `site` says where it lives, so grants can fence results in."""

    kind: str
    name: str
    site: str | None = resource_field("sites", "The site holding the hit, as host/path.", default=None)
    # Search does not say which library or list a hit is in: under a grant limited to libraries or
    # lists these stay unknown, and the hit is dropped rather than shown.
    library: str | None = resource_field("drives", "Unknown for search hits.", default=None)
    list: str | None = resource_field("lists", "Unknown for search hits.", default=None)
    path: str | None = resource_field("folders", "Path in its library, for files and folders.", default=None)
    web_url: str | None = None
    summary: str = ""


class LibraryChanges(Resource):
    """Items changed and removed since the last sync, and the cursor for the next one."""

    changed: list[DriveItem]
    deleted: list[str] = Field(description="Ids of items removed (recycle bin) since the last sync.")
    resynced: bool = Field(default=False, description="True when Graph asked for a full resync.")
    cursor: str

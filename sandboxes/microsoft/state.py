"""The data behind the Graph sandbox: sites, document libraries, items, lists, and a change log.

Every change to an item bumps a tenant-wide sequence number, which is what delta tokens point
into: a delta answer holds the items whose `changed` is after the token's sequence. Deleted items
stay as tombstones (in the recycle bin) so delta can report them with a `deleted` facet.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from charter.sandboxes.clock import Clock
from charter.schemas.types import JsonObject


def new_guid() -> str:
    """An upper-case GUID as SharePoint writes them in eTags."""
    return str(uuid.uuid4()).upper()


@dataclass
class User:
    """A person of the tenant."""

    id: str
    display_name: str
    email: str

    def identity(self) -> JsonObject:
        """The `identitySet` Graph writes in createdBy and lastModifiedBy."""
        return {"user": {"id": self.id, "displayName": self.display_name, "email": self.email}}


@dataclass
class Item:
    """A driveItem: a folder (content None) or a file."""

    id: str
    drive_id: str
    name: str
    parent_id: str | None
    created: float
    modified: float
    created_by: str
    modified_by: str
    content: bytes | None = None
    guid: str = field(default_factory=new_guid)
    version: int = 1
    content_version: int = 1
    changed: int = 0
    deleted: bool = False
    description: str | None = None
    permissions: list[JsonObject] = field(default_factory=list)

    @property
    def is_folder(self) -> bool:
        return self.content is None

    @property
    def etag(self) -> str:
        # SharePoint's driveItem eTag: the item's GUID and a version, quoted.
        return f'"{{{self.guid}}},{self.version}"'

    @property
    def ctag(self) -> str:
        return f'"c:{{{self.guid}}},{self.content_version}"'

    def size(self, state: GraphState) -> int:
        if self.content is not None:
            return len(self.content)
        return sum(c.size(state) for c in state.children(self.id))


@dataclass
class Column:
    """A list column: its internal name, display name and type facet."""

    name: str
    display_name: str
    kind: str
    choices: tuple[str, ...] = ()
    read_only: bool = False
    required: bool = False
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class ListItem:
    """A row of a SharePoint list."""

    id: str
    fields: JsonObject
    created: float
    modified: float
    created_by: str
    modified_by: str
    guid: str = field(default_factory=lambda: str(uuid.uuid4()))
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.guid},{self.version}"'


@dataclass
class GraphList:
    """A SharePoint list with its columns and items."""

    id: str
    name: str
    display_name: str
    created: float
    columns: list[Column]
    items: dict[str, ListItem] = field(default_factory=dict)
    next_item: int = 1


@dataclass
class Drive:
    """A document library (or a person's OneDrive)."""

    id: str
    name: str
    site_id: str | None
    root_id: str
    drive_type: str = "documentLibrary"
    owner: str | None = None
    quota_total: int = 1024**4


@dataclass
class Site:
    """A SharePoint site: `hostname,siteGuid,webGuid` as its id, a server-relative path."""

    host: str
    path: str
    display_name: str
    description: str
    site_guid: str = field(default_factory=lambda: str(uuid.uuid4()))
    web_guid: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: float = 0.0
    drive_ids: list[str] = field(default_factory=list)
    lists: dict[str, GraphList] = field(default_factory=dict)
    # Sites.Selected: client id → role granted by an admin (read, write, owner, fullcontrol).
    app_roles: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.host},{self.site_guid},{self.web_guid}"

    @property
    def web_url(self) -> str:
        return f"https://{self.host}{self.path}"


class GraphState:
    """Sites, drives, items and lists of one tenant, and the change sequence delta reads."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.users: dict[str, User] = {}
        self.sites: dict[str, Site] = {}
        self.drives: dict[str, Drive] = {}
        self.items: dict[str, Item] = {}
        self.seq = 0
        # Delta tokens minted before this sequence are refused with 410 (a resync is needed).
        self.delta_floor = 0
        self._ids = 0

    def new_item_id(self) -> str:
        self._ids += 1
        return f"01{self._ids:06d}" + uuid.uuid4().hex[:24].upper()

    def bump(self, item: Item) -> None:
        """Record a change of `item` (and of its ancestors' sizes) in the change sequence."""
        self.seq += 1
        item.changed = self.seq
        item.modified = self.clock.now()
        parent = self.items.get(item.parent_id or "")
        while parent is not None:
            parent.changed = self.seq
            parent = self.items.get(parent.parent_id or "")

    # -- lookups -----------------------------------------------------------------------------

    def site(self, site_id: str) -> Site | None:
        return self.sites.get(site_id)

    def site_by_path(self, host: str, path: str) -> Site | None:
        wanted = "/" + path.strip("/")
        for site in self.sites.values():
            if site.host.lower() == host.lower() and site.path.lower().rstrip("/") == wanted.lower().rstrip(
                "/"
            ):
                return site
        return None

    def children(self, item_id: str) -> list[Item]:
        found = [i for i in self.items.values() if i.parent_id == item_id and not i.deleted]
        return sorted(found, key=lambda i: i.name.lower())

    def live(self, drive_id: str, item_id: str) -> Item | None:
        item = self.items.get(item_id)
        if item is None or item.deleted or item.drive_id != drive_id:
            return None
        return item

    def by_path(self, drive: Drive, path: str) -> Item | None:
        """The live item at `path` under the drive's root (case-insensitive, as SharePoint)."""
        current = self.items[drive.root_id]
        for part in [p for p in path.split("/") if p]:
            match = next((c for c in self.children(current.id) if c.name.lower() == part.lower()), None)
            if match is None:
                return None
            current = match
        return current

    def path_of(self, item: Item) -> str:
        parts: list[str] = []
        current: Item | None = item
        while current is not None and current.parent_id is not None:
            parts.append(current.name)
            current = self.items.get(current.parent_id)
        return "/".join(reversed(parts))

    def in_drive(self, drive_id: str) -> list[Item]:
        return [i for i in self.items.values() if i.drive_id == drive_id]

    def own_drive(self, email: str) -> Drive | None:
        """The person's own OneDrive (a drive with an owner and no site)."""
        wanted = email.lower()
        return next(
            (d for d in self.drives.values() if d.site_id is None and (d.owner or "").lower() == wanted), None
        )

    def drive_site(self, drive: Drive) -> Site | None:
        return self.sites.get(drive.site_id or "")

    # -- changes -----------------------------------------------------------------------------

    def add_item(self, drive: Drive, parent: Item, name: str, content: bytes | None, by: str) -> Item:
        now = self.clock.now()
        item = Item(
            id=self.new_item_id(),
            drive_id=drive.id,
            name=name,
            parent_id=parent.id,
            created=now,
            modified=now,
            created_by=by,
            modified_by=by,
            content=content,
        )
        self.items[item.id] = item
        self.bump(item)
        return item

    def replace_content(self, item: Item, content: bytes, by: str) -> None:
        item.content = content
        item.version += 1
        item.content_version += 1
        item.modified_by = by
        self.bump(item)

    def recycle(self, item: Item) -> None:
        """Move an item (and its descendants) to the recycle bin: gone from listings, seen by delta."""
        for child in self.children(item.id):
            self.recycle(child)
        item.deleted = True
        self.bump(item)

    def drive_used(self, drive: Drive) -> int:
        return sum(len(i.content or b"") for i in self.in_drive(drive.id) if not i.deleted)

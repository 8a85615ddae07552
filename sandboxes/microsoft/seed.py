"""The Graph sandbox's seed: the Contoso tenant, three sites, their libraries, files and a list."""

from __future__ import annotations

import uuid

from charter.sandboxes.clock import Clock
from charter.sandboxes.microsoft.state import Column, Drive, GraphList, GraphState, Item, ListItem, Site, User

HOST = "contoso.sharepoint.com"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OWNER = "adele@contoso.com"
USERS = (
    ("adele@contoso.com", "Adele Vance", "87d349ed-44d7-43e1-9a83-5f2406dee5bd"),
    ("megan@contoso.com", "Megan Bowen", "48d31887-5fad-4d73-a9f5-3c356e68a038"),
)
# Seed time: 2025-01-15T09:00:00Z.
EPOCH = 1736931600.0

FILES: dict[str, dict[str, bytes | None]] = {
    "finance": {
        "Reports": None,
        "Reports/Q1 summary.txt": b"Revenue grew 4% in Q1.\nCosts were flat.\n",
        "Reports/Q2 summary.txt": b"Revenue grew 6% in Q2.\n",
        "Reports/Archive": None,
        "Reports/Archive/2023.txt": b"Old numbers.\n",
        "Budget.csv": b"line,amount\nrent,1200\nsalaries,40000\n",
        "Contracts": None,
    },
    # Adele's own OneDrive (drive type `business`), reached through `/me/drive`.
    "onedrive": {
        "Notes": None,
        "Notes/todo.txt": b"Call the landlord.\nRenew the parking pass.\n",
        "Travel plan.txt": b"Lisbon in May.\n",
    },
    "marketing": {
        "Campaigns": None,
        "Campaigns/Spring launch.txt": b"Launch on 1 March.\n",
        "Brand guide.txt": b"Use the blue logo.\n",
    },
}


def build_state(clock: Clock, bulk_files: int = 0) -> GraphState:
    """A fresh tenant: users, sites, libraries with files, a Contracts list; `bulk_files` in Finance/Bulk."""
    state = GraphState(clock)
    for email, name, oid in USERS:
        state.users[email] = User(id=oid, display_name=name, email=email)
    _site(state, "/", "Contoso", "The Contoso intranet.", {})
    finance = _site(state, "/sites/Finance", "Finance", "Budgets, reports and contracts.", FILES["finance"])
    _site(state, "/sites/Marketing", "Marketing", "Campaigns and brand.", FILES["marketing"])
    finance.lists["contracts"] = _contracts_list(state)
    for email, _, _ in USERS:
        _onedrive(state, email, FILES["onedrive"] if email == OWNER else {})
    if bulk_files:
        add_bulk_files(state, finance, "Bulk", bulk_files)
    # Changes before the first delta token are part of the initial enumeration, not of a delta.
    return state


def add_bulk_files(state: GraphState, site: Site, folder: str, count: int) -> Item:
    """A folder of `count` small text files in the site's first library (for paging and benchmarks)."""
    drive = state.drives[site.drive_ids[0]]
    root = state.items[drive.root_id]
    parent = state.by_path(drive, folder) or state.add_item(drive, root, folder, None, OWNER)
    for n in range(count):
        state.add_item(drive, parent, f"file-{n:05d}.txt", f"file {n}\n".encode(), OWNER)
    return parent


def _site(state: GraphState, path: str, name: str, description: str, files: dict[str, bytes | None]) -> Site:
    site = Site(host=HOST, path=path, display_name=name, description=description, created=EPOCH)
    state.sites[site.id] = site
    drive_id = "b!" + site.site_guid.replace("-", "")[:20] + site.web_guid.replace("-", "")[:24]
    drive = _drive(state, Drive(id=drive_id, name="Documents", site_id=site.id, root_id=""), files)
    site.drive_ids.append(drive.id)
    return site


def _onedrive(state: GraphState, owner: str, files: dict[str, bytes | None]) -> Drive:
    """A person's own OneDrive: no site, `business` type, named for its owner."""
    drive_id = "b!" + uuid.uuid5(uuid.NAMESPACE_URL, f"onedrive/{owner}").hex + "od"
    found = Drive(id=drive_id, name="OneDrive", site_id=None, root_id="", drive_type="business", owner=owner)
    return _drive(state, found, files, owner)


def _drive(state: GraphState, drive: Drive, files: dict[str, bytes | None], by: str = OWNER) -> Drive:
    root = Item(
        id=state.new_item_id(),
        drive_id=drive.id,
        name="root",
        parent_id=None,
        created=EPOCH,
        modified=EPOCH,
        created_by=by,
        modified_by=by,
    )
    state.items[root.id] = root
    drive.root_id = root.id
    state.drives[drive.id] = drive
    for item_path, content in files.items():
        parent_path, _, leaf = item_path.rpartition("/")
        parent = state.by_path(drive, parent_path)
        assert parent is not None, item_path
        state.add_item(drive, parent, leaf, content, by)
    return drive


def _contracts_list(state: GraphState) -> GraphList:
    columns = [
        Column("Title", "Title", "text", required=True),
        Column("Status", "Status", "choice", choices=("Draft", "Signed", "Expired")),
        Column("Amount", "Amount", "number"),
        Column("Counterparty", "Counterparty", "text"),
        Column("Created", "Created", "dateTime", read_only=True),
    ]
    contracts = GraphList(
        id="5e3c4f8a-2b1d-4c6e-9f0a-7b8c9d0e1f2a",
        name="Contracts",
        display_name="Contracts",
        created=EPOCH,
        columns=columns,
    )
    rows = (
        ("Office lease", "Signed", 14400, "Northwind"),
        ("Cleaning services", "Draft", 2400, "Fabrikam"),
        ("Audit 2025", "Signed", 9000, "Tailspin"),
    )
    for title, status, amount, party in rows:
        item_id = str(contracts.next_item)
        contracts.next_item += 1
        fields = {"Title": title, "Status": status, "Amount": amount, "Counterparty": party}
        # The same row GUID after every reset, so an eTag read before a reset stays meaningful.
        guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{contracts.id}/{item_id}"))
        contracts.items[item_id] = ListItem(
            id=item_id,
            fields=fields,
            created=EPOCH,
            modified=EPOCH,
            created_by=OWNER,
            modified_by=OWNER,
            guid=guid,
        )
    return contracts

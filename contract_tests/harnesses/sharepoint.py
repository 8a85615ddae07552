"""The contract harness for Charter's SharePoint connector, against the Microsoft Graph sandbox.

Tokens come from the sandbox's Entra endpoints and are refreshed at its token endpoint as the
vault does; every example names the Contoso tenant's Finance site. There is no live mode yet:
a real tenant's test site would need an app registration and an administrator's consent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from charter.connectors.base import Connector, Credentials
from charter.connectors.sharepoint import SharePointConnector
from charter.contract_tests.harness import Example
from charter.contract_tests.harnesses.sandboxed import SandboxCredentials as _SandboxCredentials
from charter.contract_tests.harnesses.sandboxed import SandboxedHarness

if TYPE_CHECKING:
    from charter.sandboxes.microsoft import GraphSandbox  # noqa: F401 (named in a base class)

SITE = "contoso.sharepoint.com/sites/Finance"
LOGIN = "adele@contoso.com"
DEFAULT_SCOPES = frozenset({"Sites.ReadWrite.All", "Files.ReadWrite.All"})


class SandboxCredentials(_SandboxCredentials):
    """A sandbox connection: tokens from the sandbox's Entra endpoints, refreshed over HTTP."""

    connection_id = "sharepoint-adele-contract"
    account = LOGIN
    provider = "Microsoft"


class SharePointHarness(SandboxedHarness["GraphSandbox"]):
    """Runs the contract suite on `SharePointConnector` against the Graph sandbox."""

    connector_cls: ClassVar[type[Connector]] = SharePointConnector

    def start(self) -> None:
        from charter.sandboxes.microsoft import GraphSandbox

        self._serve(GraphSandbox(bulk_files=25))
        self.base_url = self.sandbox.graph_base

    def credentials(
        self,
        scopes: Iterable[str] | None = None,
        *,
        claimed: Iterable[str] | None = None,
        canary: str | None = None,
    ) -> Credentials:
        from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID

        held = frozenset(scopes) if scopes is not None else DEFAULT_SCOPES
        client = (DEFAULT_CLIENT_ID, "")
        if canary:
            client = (f"contract-{len(canary)}", f"secret-{canary}")
            self.sandbox.entra.register_client(*client)
            self._mark_tokens(canary)
        issued = self.sandbox.entra.issue(LOGIN, set(held) | {"offline_access"}, client[0])
        return SandboxCredentials(
            token_url=f"{self.sandbox.url}/organizations/oauth2/v2.0/token",
            client=client,
            tokens=(issued.access_token, issued.refresh_token or ""),
            claimed=frozenset(claimed) if claimed is not None else held,
        )

    def connector(self, credentials: Credentials) -> Connector:
        connector = super().connector(credentials)
        connector.base_url = self.sandbox.graph_base
        # The RU budget reads the clock whose `advance` the connector sleeps with.
        connector.clock = self.sandbox.clock.now  # type: ignore[attr-defined]
        return connector

    # -- examples ----------------------------------------------------------------------------

    def examples(self) -> Mapping[str, Example]:
        return {**read_examples(), **self._change_examples()}

    def _change_examples(self) -> dict[str, Example]:
        upload = {"site": SITE, "path": "Reports/contract.txt", "content": "Filed by the contract suite.\n"}
        folder = {"site": SITE, "path": "Reports/Contract folder"}
        link = {"site": SITE, "path": "Budget.csv", "scope": "organization"}
        invite = {"site": SITE, "path": "Budget.csv", "recipients": ["megan@contoso.com"]}
        delete = {"site": SITE, "path": "Reports/Archive/2023.txt"}
        fields = {"site": SITE, "list": "Contracts", "item_id": "2", "fields": {"Status": "Signed"}}
        fields["etag"] = self._row_etag("2")
        uploaded = self._count(lambda: self._files_named("contract.txt"))
        foldered = self._count(lambda: self._folders_named("Contract folder"))
        linked = self._count(lambda: self._links("Budget.csv"))
        invited = self._count(lambda: self._invitations("Budget.csv"))
        deleted = self._count(lambda: int(self._at("Reports/Archive/2023.txt") is None))
        updated = self._count(lambda: int(self._row("2").fields["Status"] == "Signed"))
        bad_path = "Reports/../x.txt"
        return {
            "draft_upload": Example(upload, invalid=({**upload, "path": bad_path},), observe=uploaded),
            "upload_file": Example(upload, invalid=({**upload, "site": "not a site"},), observe=uploaded),
            "draft_folder": Example(folder, invalid=({**folder, "path": "a:b"},), observe=foldered),
            "create_folder": Example(folder, invalid=({**folder, "path": ""},), observe=foldered),
            "draft_sharing_link": Example(link, invalid=({**link, "scope": "everyone"},), observe=linked),
            "create_sharing_link": Example(link, invalid=({**link, "type": "own"},), observe=linked),
            "draft_invite": Example(invite, invalid=({**invite, "recipients": ["nobody"]},), observe=invited),
            "invite": Example(invite, invalid=({**invite, "role": "owner"},), observe=invited),
            "draft_delete": Example(delete, invalid=({**delete, "path": "/"},), observe=deleted),
            "delete_item": Example(
                delete,
                invalid=({**delete, "path": "../x"},),
                refused=({**delete, "path": "Reports/Archive/no-such-year.txt"},),
                observe=deleted,
            ),
            "draft_list_update": Example(fields, invalid=({**fields, "item_id": "x"},), observe=updated),
            "update_list_item": Example(fields, invalid=({**fields, "fields": {}},), observe=updated),
            **self._own_drive_examples(),
        }

    def _own_drive_examples(self) -> dict[str, Example]:
        upload = {"path": "Notes/mine.txt", "content": "Kept in OneDrive.\n"}
        folder = {"path": "Notes/Contract folder"}
        delete = {"path": "Travel plan.txt"}
        uploaded = self._count(lambda: int(self._own("Notes/mine.txt") is not None))
        foldered = self._count(lambda: int(self._own("Notes/Contract folder") is not None))
        deleted = self._count(lambda: int(self._own("Travel plan.txt") is None))
        return {
            "upload_my_file": Example(upload, invalid=({**upload, "site": SITE},), observe=uploaded),
            "create_my_folder": Example(folder, invalid=({"path": "a:b"},), observe=foldered),
            "delete_my_item": Example(delete, invalid=({"path": "../x"},), observe=deleted),
        }

    # -- observation -------------------------------------------------------------------------

    def _finance(self) -> Any:
        state = self.sandbox.state
        return next(
            d for d in state.drives.values() if d.site_id and state.sites[d.site_id].path == "/sites/Finance"
        )

    def _own(self, path: str) -> Any:
        drive = self.sandbox.state.own_drive(LOGIN)
        return self.sandbox.state.by_path(drive, path) if drive is not None else None

    def _at(self, path: str) -> Any:
        return self.sandbox.state.by_path(self._finance(), path)

    def _live(self) -> list[Any]:
        return [i for i in self.sandbox.state.in_drive(self._finance().id) if not i.deleted]

    def _files_named(self, name: str) -> int:
        return sum(1 for i in self._live() if i.name == name and not i.is_folder)

    def _folders_named(self, name: str) -> int:
        return sum(1 for i in self._live() if i.name.startswith(name) and i.is_folder)

    def _links(self, path: str) -> int:
        return sum(1 for p in self._at(path).permissions if "link" in p)

    def _invitations(self, path: str) -> int:
        return sum(1 for p in self._at(path).permissions if "grantedTo" in p)

    def _contracts(self) -> Any:
        state = self.sandbox.state
        finance = state.sites[self._finance().site_id]
        return finance.lists["contracts"]

    def _row(self, item_id: str) -> Any:
        return self._contracts().items[item_id]

    def _row_etag(self, item_id: str) -> str:
        with self.sandbox.lock:
            return str(self._row(item_id).etag)

    def visible_state(self) -> Mapping[str, object]:
        state: dict[str, object] = {}
        with self.sandbox.lock:
            for drive in self.sandbox.state.drives.values():
                for item in self.sandbox.state.in_drive(drive.id):
                    if item.deleted:
                        continue
                    digest = hashlib.sha256(item.content).hexdigest() if item.content is not None else None
                    perms = tuple(sorted(str(p.get("id")) for p in item.permissions))
                    state[f"{drive.id}:{self.sandbox.state.path_of(item)}"] = (
                        digest,
                        item.description,
                        perms,
                    )
            for row_id, row in self._contracts().items.items():
                state[f"contracts#{row_id}"] = tuple(sorted(row.fields.items()))
        return state

    def request_count(self) -> int | None:
        return None if self._sandbox is None else len(self._sandbox.requests)

    def fidelity_problems(self) -> list[str] | None:
        # The description is required: without it the check fails, saying it could not be fetched.
        from charter.sandboxes.microsoft.fidelity import load_graph_types, validate_exchanges

        return validate_exchanges(load_graph_types(), self.sandbox.requests.entries)


def read_examples() -> dict[str, Example]:
    """Reads of the seeded Finance site (with 25 files in Bulk/) and its Contracts list."""
    bad_site = ({"site": "nope"},)
    return {
        "search_sites": Example({"query": "finance"}, invalid=({"query": ""},)),
        "get_site": Example({"site": SITE}, invalid=bad_site),
        "list_drives": Example({"site": SITE}, invalid=bad_site),
        "list_children": Example(
            {"site": SITE, "path": "Bulk", "per_page": 10},
            invalid=({"site": SITE, "path": "Bulk", "per_page": 0},),
            min_items=25,
            min_pages=3,
        ),
        "get_item": Example(
            {"site": SITE, "path": "Budget.csv"},
            invalid=({"site": SITE, "path": "../x"},),
            refused=({"site": SITE, "path": "Reports/no-such-file.txt"},),
        ),
        "get_items": Example(
            {"site": SITE, "paths": [f"Bulk/file-{n:05d}.txt" for n in range(22)]},
            invalid=({"site": SITE, "paths": []},),
        ),
        "search_items": Example(
            {"site": SITE, "query": "file", "per_page": 10},
            invalid=({"site": SITE, "query": ""},),
            min_items=25,
            min_pages=3,
        ),
        "download_file": Example(
            {"site": SITE, "path": "Budget.csv"}, invalid=({"site": SITE, "path": "Budget.csv", "length": 0},)
        ),
        "list_columns": Example({"site": SITE, "list": "Contracts"}, invalid=({"site": SITE, "list": ""},)),
        "list_items": Example(
            {"site": SITE, "list": "Contracts", "per_page": 2},
            invalid=({"site": SITE, "list": "Contracts", "per_page": 0},),
            min_items=3,
            min_pages=2,
        ),
        "search_microsoft": Example(
            {"query": "file", "per_page": 10},
            invalid=({"query": "file", "entity": "user"},),
            min_items=25,
            min_pages=3,
        ),
        "sync_library": Example({"site": SITE}, invalid=({"site": SITE, "library": ""},)),
        "list_my_files": Example({"path": "Notes"}, invalid=({"path": "../x"},), min_items=1),
        "get_my_item": Example({"path": "Notes/todo.txt"}, invalid=({"path": ""},)),
        "download_my_file": Example(
            {"path": "Notes/todo.txt"}, invalid=({"path": "Notes/todo.txt", "library": "Documents"},)
        ),
        "search_my_files": Example({"query": "todo"}, invalid=({"query": ""},), min_items=1),
        "sync_my_drive": Example({"folder": "Notes"}, invalid=({"folder": "../x"},)),
    }


__all__ = ["SandboxCredentials", "SharePointHarness", "read_examples"]

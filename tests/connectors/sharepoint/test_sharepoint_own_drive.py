"""The person's own OneDrive through `/me/drive`, with Files.Read / Files.ReadWrite alone, end to end."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from charter.agents import Toolkit
from charter.auth.connect_microsoft import connect_microsoft
from charter.auth.grants import GrantAuthority
from charter.auth.vault import Vault
from charter.connectors.base import Attribution
from charter.connectors.sharepoint import (
    CreateMyFolder,
    DeleteMyItem,
    DownloadMyFile,
    GetMyItem,
    ListChildren,
    ListMyFiles,
    SearchItems,
    SearchMyFiles,
    SharePointConnector,
    SyncLibrary,
    SyncMyDrive,
    UploadMyFile,
)
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID, OWNER, GraphSandbox
from charter.schemas import Conflict, ScopeMissing, ValidationError

MakeConnector = Callable[..., SharePointConnector]

SITE = "contoso.sharepoint.com/sites/Finance"


def own(graph: GraphSandbox, path: str) -> object:
    drive = graph.state.own_drive(OWNER)
    assert drive is not None
    return graph.state.by_path(drive, path)


def test_files_read_alone_lists_gets_and_downloads_the_own_drive(
    make_sharepoint: MakeConnector, graph: GraphSandbox
) -> None:
    reader = make_sharepoint("Files.Read")
    assert "Files.Read" in reader.credentials.granted_scopes
    assert not {"Files.Read.All", "Sites.Read.All"} & set(reader.credentials.granted_scopes)
    names = sorted(i.name for i in reader.read(ListMyFiles()).items)
    assert names == ["Notes", "Travel plan.txt"]
    assert [i.path for i in reader.read(ListMyFiles(path="Notes")).items] == ["Notes/todo.txt"]
    item = reader.read(GetMyItem(path="Notes/todo.txt"))
    assert (item.path, item.is_folder) == ("Notes/todo.txt", False)
    content = reader.read(DownloadMyFile(path="Notes/todo.txt", start=0, length=4))
    assert content.text == "Call"
    # Every call went to `/me/drive`: no site or library was resolved, which Files.Read cannot do.
    paths = [e.path for e in graph.requests.entries if "/v1.0/" in e.path]
    assert paths
    assert all(p.startswith("/v1.0/me/drive/") for p in paths), paths
    assert "downloadUrl" not in content.model_dump_json()


def test_files_read_reaches_no_library_and_writes_nothing(
    make_sharepoint: MakeConnector, graph: GraphSandbox
) -> None:
    reader = make_sharepoint("Files.Read")
    with pytest.raises(ScopeMissing, match=r"Sites\.Read\.All"):
        reader.read(ListChildren(site=SITE))
    with pytest.raises(ScopeMissing, match=r"Files\.ReadWrite"):
        reader.write(UploadMyFile(path="Notes/new.txt", content="x"))
    assert len(graph.requests) == 0
    assert own(graph, "Notes/new.txt") is None


def test_files_readwrite_uploads_makes_folders_and_deletes_exactly_once(
    make_sharepoint: MakeConnector, graph: GraphSandbox
) -> None:
    writer = make_sharepoint("Files.ReadWrite")
    writer.write(CreateMyFolder(path="Notes/2026"), idempotency_key="f1")
    assert writer.write(CreateMyFolder(path="Notes/2026"), idempotency_key="f1").replayed
    with pytest.raises(Conflict):
        writer.write(CreateMyFolder(path="Notes/2026"), idempotency_key="f2")
    writer.write(UploadMyFile(path="Notes/2026/plan.txt", content="Plan ü\n"), idempotency_key="u1")
    found = own(graph, "Notes/2026/plan.txt")
    assert found is not None
    assert found.content == "Plan ü\n".encode()  # type: ignore[attr-defined]
    with pytest.raises(Conflict, match=r"your OneDrive > Notes/2026/plan\.txt already exists"):
        writer.write(UploadMyFile(path="Notes/2026/plan.txt", content="again"), idempotency_key="u2")
    writer.write(DeleteMyItem(path="Notes/2026/plan.txt"), idempotency_key="d1")
    assert own(graph, "Notes/2026/plan.txt") is None
    # Nothing reached the Finance library, which holds no such folder.
    finance = next(d for d in graph.state.drives.values() if d.site_id)
    assert graph.state.by_path(finance, "Notes") is None


def test_the_own_drive_syncs_with_files_read_and_a_repeat_sync_costs_one_request(
    make_sharepoint: MakeConnector, graph: GraphSandbox
) -> None:
    reader = make_sharepoint("Files.Read")
    start = reader.read(SyncMyDrive())
    assert (start.changed, start.deleted) == ([], [])
    graph.requests.clear()
    again = reader.read(SyncMyDrive(cursor=start.cursor))
    assert len(graph.requests) == 1
    assert (again.changed, again.deleted) == ([], [])
    drive = graph.state.own_drive(OWNER)
    todo = own(graph, "Notes/todo.txt")
    assert drive is not None
    assert todo is not None
    finance = next(d for d in graph.state.drives.values() if d.site_id)
    with graph.lock:
        graph.state.recycle(todo)  # type: ignore[arg-type]
        graph.state.add_item(drive, graph.state.items[drive.root_id], "new.txt", b"n", OWNER)
        # A change in a library is not the person's OneDrive: the own drive's sync never reports it.
        graph.state.add_item(finance, graph.state.items[finance.root_id], "lib.txt", b"l", OWNER)
    later = reader.read(SyncMyDrive(cursor=again.cursor))
    # The folder whose child went to the recycle bin changed too, as Graph's delta reports it.
    assert {i.path for i in later.changed} == {"Notes", "new.txt"}
    assert later.deleted == [todo.id]  # type: ignore[attr-defined]
    assert all("/v1.0/me/drive/" in e.path or "/v1.0/drives/" in e.path for e in graph.requests.entries)
    graph.require_resync()
    resynced = reader.read(SyncMyDrive(cursor=later.cursor))
    assert resynced.resynced
    assert "new.txt" in {i.path for i in resynced.changed}
    # Control: a library's sync needs Sites.Read.All, which this connection does not hold.
    with pytest.raises(ScopeMissing, match=r"Sites\.Read\.All"):
        reader.read(SyncLibrary(site=SITE))


def test_a_cursor_of_the_own_drive_does_not_continue_a_library_sync(
    make_sharepoint: MakeConnector, graph: GraphSandbox
) -> None:
    both = make_sharepoint("Files.Read", "Sites.Read.All")
    mine = both.read(SyncMyDrive())
    with pytest.raises(ValidationError, match="different listing"):
        both.read(SyncLibrary(site=SITE, cursor=mine.cursor))
    library = both.read(SyncLibrary(site=SITE))
    with pytest.raises(ValidationError, match="different listing"):
        both.read(SyncMyDrive(cursor=library.cursor))


def test_the_own_drive_search_finds_only_the_persons_files(
    make_sharepoint: MakeConnector, graph: GraphSandbox
) -> None:
    reader = make_sharepoint("Files.Read")
    hits = reader.read(SearchMyFiles(query="todo")).items
    assert [h.path for h in hits] == ["Notes/todo.txt"]
    assert all(e.path.startswith("/v1.0/me/drive/root/search(") for e in graph.requests.entries)
    # A quote in the words stays inside Graph's string literal.
    assert reader.read(SearchMyFiles(query="it's")).items == []
    # Control: the Finance library holds files matching "revenue"; the own drive's search sees none.
    assert reader.read(SearchMyFiles(query="revenue")).items == []
    with pytest.raises(ScopeMissing, match=r"Sites\.Read\.All"):
        reader.read(SearchItems(site=SITE, query="revenue"))


def test_the_own_drive_models_cannot_be_pointed_at_a_library() -> None:
    with pytest.raises(ValueError, match="Input should be 'me'"):
        GetMyItem(site=SITE, path="Budget.csv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Input should be 'OneDrive'"):
        ListMyFiles(library="Documents")  # type: ignore[arg-type]
    schema = SharePointConnector.actions["get_my_item"].request.model_json_schema()
    assert set(schema["properties"]) == {"path"}


@pytest.fixture
def make_kit(vault: Vault, graph: GraphSandbox) -> Callable[[dict[str, list[str]]], Toolkit]:
    conn = connect_microsoft(
        vault,
        scopes=["Files.ReadWrite"],
        client_id=DEFAULT_CLIENT_ID,
        authority=f"{graph.url}/organizations",
        api_base=graph.graph_base,
        open_browser=lambda url: httpx.get("http://" + url.removeprefix("https://"), follow_redirects=True),
    )

    def make(constraints: dict[str, list[str]]) -> Toolkit:
        verbs = ("read", "draft", "write")
        grant = GrantAuthority(vault.home).issue(OWNER, "filer", (conn.id,), verbs, constraints=constraints)
        return Toolkit(grant.token, home=vault.home, vault=vault)

    return make


def test_a_grant_naming_sites_or_libraries_does_not_open_the_own_drive(
    make_kit: Callable[[dict[str, list[str]]], Toolkit], graph: GraphSandbox
) -> None:
    for constraints in ({"sites": [SITE]}, {"drives": ["Documents"]}):
        graph.requests.clear()
        refused = make_kit(constraints).call("sharepoint_list_my_files", {})
        assert refused.error is not None
        assert refused.error["error"] == "grant_denied", refused
        assert len(graph.requests) == 0
    # Control: a grant naming the own drive, and a folder inside it, lets the same call through.
    kit = make_kit({"sites": ["me"], "drives": ["OneDrive"], "folders": ["Notes", "Notes/*"]})
    assert kit.call("sharepoint_list_my_files", {"path": "Notes"}).status == "ok"
    outside = kit.call("sharepoint_get_my_item", {"path": "Travel plan.txt"})
    assert outside.error is not None
    assert outside.error["error"] == "grant_denied"
    redirected = kit.call("sharepoint_get_my_item", {"site": SITE, "path": "Notes/todo.txt"})
    assert redirected.status == "error"


def test_an_upload_to_the_own_drive_carries_the_agent_and_grant(
    make_sharepoint: MakeConnector, graph: GraphSandbox
) -> None:
    writer = make_sharepoint("Files.ReadWrite")
    agent = Attribution(agent="filing-bot", grant_id="grt_9")
    writer.write(UploadMyFile(path="Notes/signed.txt", content="ok\n"), attribution=agent)
    stored = own(graph, "Notes/signed.txt")
    assert stored.description == agent.line()  # type: ignore[attr-defined]
    patches = [e.path for e in graph.requests.entries if e.method == "PATCH"]
    assert len(patches) == 1
    assert patches[0].startswith("/v1.0/me/drive/items/")


def test_sites_selected_mode_keeps_files_read_for_the_own_drive(
    make_sharepoint: MakeConnector, graph: GraphSandbox
) -> None:
    selected = make_sharepoint("Sites.Selected", "Files.Read")
    assert [i.name for i in selected.read(ListMyFiles(path="Notes")).items] == ["todo.txt"]
    spec = SharePointConnector.actions["list_children"]
    assert selected.scopes_for(spec, ListChildren(site=SITE)) == ("Sites.Selected",)
    own_spec = SharePointConnector.actions["list_my_files"]
    assert selected.scopes_for(own_spec, ListMyFiles()) == ("Files.Read",)
    # Control: without Files.Read the same call is refused before it is sent.
    bare = make_sharepoint("Sites.Selected")
    with pytest.raises(ScopeMissing, match=r"Files\.Read"):
        bare.read(ListMyFiles())
    assert len(graph.requests) == 0

"""SharePoint reads end to end: msal token, the real HTTP path, the Graph sandbox."""

from __future__ import annotations

import json
import logging

import pytest

from charter.connectors.sharepoint import (
    DownloadFile,
    GetItem,
    GetItems,
    GetSite,
    ListChildren,
    ListColumns,
    ListDrives,
    ListListItems,
    SearchItems,
    SearchSites,
    SharePointConnector,
    SyncLibrary,
)
from charter.connectors.sharepoint.sync import place_changes
from charter.sandboxes.microsoft import GraphSandbox
from charter.schemas import NotFound, ScopeMissing, ValidationError

SITE = "contoso.sharepoint.com/sites/Finance"


def test_sites_and_libraries(sharepoint: SharePointConnector) -> None:
    found = sharepoint.read(SearchSites(query="finance"))
    assert [s.display_name for s in found.items] == ["Finance"]
    site = sharepoint.read(GetSite(site=SITE))
    assert site.address == SITE
    assert [d.name for d in sharepoint.read(ListDrives(site=SITE)).items] == ["Documents"]


def test_a_thousand_item_folder_lists_in_two_pages_at_the_maximum_size(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    graph.add_bulk_files(1000)
    listed = list(sharepoint.collect(ListChildren(site=SITE, path="Bulk")))
    assert len(listed) == 1000
    assert len({i.id for i in listed}) == 1000
    assert listed[0].path == "Bulk/file-00000.txt"
    pages = [e for e in graph.requests.entries if e.path.endswith("/children")]
    assert len(pages) == 2
    assert "%24top=999" in pages[0].query
    assert "%24select=" in pages[0].query


def test_many_items_are_read_in_batches_of_twenty(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    graph.add_bulk_files(45)
    paths = [f"Bulk/file-{n:05d}.txt" for n in range(45)]
    sharepoint.read(GetItem(site=SITE, path="Budget.csv"))  # resolves the site and library first
    graph.requests.clear()
    items = sharepoint.read(GetItems(site=SITE, paths=paths)).items
    assert [i.path for i in items] == paths
    assert [e.path for e in graph.requests.entries] == ["/v1.0/$batch"] * 3


def test_inner_throttling_retries_only_the_throttled_requests(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    graph.add_bulk_files(10)
    sharepoint.read(GetItem(site=SITE, path="Budget.csv"))
    graph.set_budget(6)  # a fresh minute with room for six gets
    sharepoint.max_rate_limit_wait = 120  # the minute's end is up to 60 s away
    items = sharepoint.read(GetItems(site=SITE, paths=[f"Bulk/file-{n:05d}.txt" for n in range(10)])).items
    assert len(items) == 10
    batches = [
        json.loads(e.request_body)["requests"] for e in graph.requests.entries if e.path == "/v1.0/$batch"
    ]
    assert [len(b) for b in batches[-2:]] == [10, 4]


def test_download_streams_ranges_and_never_shows_the_download_url(
    sharepoint: SharePointConnector, graph: GraphSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    whole = sharepoint.read(DownloadFile(site=SITE, path="Budget.csv"))
    assert whole.text is not None
    assert whole.text.startswith("line,amount")
    part = sharepoint.read(DownloadFile(site=SITE, path="Budget.csv", start=5, length=6))
    assert part.text == "amount"
    assert part.range is not None
    downloads = [e for e in graph.requests.entries if e.path == "/download.aspx"]
    assert downloads
    assert all("authorization" not in e.request_headers for e in downloads)
    shown = whole.model_dump_json() + part.model_dump_json() + caplog.text + repr(sharepoint)
    # The host may show; the credential in the URL's query never does.
    assert graph.transfers.downloads
    assert not any(token in shown for token in graph.transfers.downloads)
    assert "tempauth=" not in shown


def test_list_columns_and_rows(sharepoint: SharePointConnector) -> None:
    columns = {c.name: c for c in sharepoint.read(ListColumns(site=SITE, list="Contracts")).items}
    assert columns["Status"].choices == ["Draft", "Signed", "Expired"]
    assert columns["Created"].read_only
    rows = sharepoint.read(ListListItems(site=SITE, list="Contracts", fields=["Title", "Status"])).items
    assert rows[0].fields == {"id": "1", "Title": "Office lease", "Status": "Signed"}
    assert rows[0].etag


def test_search_finds_by_text(sharepoint: SharePointConnector) -> None:
    hits = sharepoint.read(SearchItems(site=SITE, query="revenue")).items
    assert sorted(h.name for h in hits) == ["Q1 summary.txt", "Q2 summary.txt"]


def test_repeat_sync_with_no_change_costs_one_request_and_changes_are_reported(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    start = sharepoint.read(SyncLibrary(site=SITE))
    assert start.changed == []
    assert start.deleted == []
    graph.requests.clear()
    again = sharepoint.read(SyncLibrary(site=SITE, cursor=start.cursor))
    assert len(graph.requests) == 1
    assert again.changed == []
    drive = next(iter(graph.state.drives.values()))
    finance_drive = next(
        d for d in graph.state.drives.values() if d.site_id and "Finance" in graph.state.sites[d.site_id].path
    )
    budget = graph.state.by_path(finance_drive, "Budget.csv")
    assert budget is not None
    assert drive is not None
    with graph.lock:
        graph.state.recycle(budget)
        graph.state.add_item(
            finance_drive, graph.state.items[finance_drive.root_id], "new.txt", b"n", "adele@contoso.com"
        )
    later = sharepoint.read(SyncLibrary(site=SITE, cursor=again.cursor))
    assert [i.path for i in later.changed] == ["new.txt"]
    assert later.deleted == [budget.id]
    graph.require_resync()
    resynced = sharepoint.read(SyncLibrary(site=SITE, cursor=later.cursor))
    assert resynced.resynced
    assert "new.txt" in {i.path for i in resynced.changed}


def test_a_sync_places_changes_by_their_parents_since_delta_gives_no_paths(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    start = sharepoint.read(SyncLibrary(site=SITE))
    finance = next(
        d for d in graph.state.drives.values() if d.site_id and "Finance" in graph.state.sites[d.site_id].path
    )
    archive = graph.state.by_path(finance, "Reports/Archive")
    assert archive is not None
    with graph.lock:
        graph.state.add_item(finance, archive, "deep.txt", b"d", "adele@contoso.com")
    graph.requests.clear()
    later = sharepoint.read(SyncLibrary(site=SITE, cursor=start.cursor))
    assert "Reports/Archive/deep.txt" in {i.path for i in later.changed}
    delta = next(e for e in graph.requests.entries if "/root/delta" in e.path)
    # As in SharePoint, delta's items name their parent by id only (the control: no path to read).
    listed = delta.json()["value"]  # type: ignore[index]
    assert listed
    assert all("path" not in item["parentReference"] for item in listed)
    # The folders above changed too, so delta listed them: nothing more to read.
    assert len(graph.requests) == 1
    # A parent delta does not list (here: an item placed under Reports, which did not change) is
    # read by id, all such parents in one `$batch`.
    reports = graph.state.by_path(finance, "Reports")
    assert reports is not None
    ref = {"driveId": finance.id, "id": reports.id}
    moved = [
        {"id": "x1", "name": "a.txt", "file": {}, "parentReference": ref},
        {"id": "x2", "deleted": {}, "parentReference": ref},
    ]
    graph.requests.clear()
    changed, deleted = place_changes(sharepoint, SyncLibrary(site=SITE, folder="Reports"), moved, "test")
    assert [i.path for i in changed] == ["Reports/a.txt"]
    assert deleted == ["x2"]
    assert [e.path.rsplit("/", 1)[-1] for e in graph.requests.entries] == ["$batch"]
    # Control: under a folder the parent is outside of, neither is reported.
    assert place_changes(sharepoint, SyncLibrary(site=SITE, folder="Contracts"), moved, "test") == ([], [])


def test_refusals_say_what_to_do(sharepoint: SharePointConnector, make_sharepoint: object) -> None:
    with pytest.raises(NotFound, match="not shared"):
        sharepoint.read(GetItem(site=SITE, path="Nope.txt"))
    with pytest.raises(ValueError, match="not a valid"):
        GetItem(site=SITE, path="Reports/../Secret.txt")
    page = sharepoint.read(ListChildren(site=SITE, path="Reports", per_page=1))
    assert page.next_cursor is not None
    with pytest.raises(ValidationError, match="different listing"):
        sharepoint.read(ListChildren(site=SITE, path="Contracts", per_page=1, cursor=page.next_cursor))


def test_a_missing_scope_is_refused_before_sending(make_sharepoint: object, graph: GraphSandbox) -> None:
    reader = make_sharepoint("Files.Read.All")  # type: ignore[operator]
    with pytest.raises(ScopeMissing, match=r"Sites\.Read\.All"):
        reader.read(ListColumns(site=SITE, list="Contracts"))
    assert len(graph.requests) == 0


def test_sites_selected_mode_reaches_only_granted_sites(make_sharepoint: object, graph: GraphSandbox) -> None:
    selected = make_sharepoint("Sites.Selected")  # type: ignore[operator]
    with pytest.raises(ScopeMissing, match="administrator must grant"):
        selected.read(ListChildren(site=SITE))
    graph.grant_site("/sites/Finance", "read")
    assert selected.read(ListChildren(site=SITE)).items


def test_requests_carry_microsofts_isv_user_agent(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    sharepoint.read(GetSite(site=SITE))
    assert graph.requests.entries[-1].request_headers["user-agent"].startswith("ISV|Charter|Charter/")


def test_microsoft_search_names_each_hits_site_so_grants_can_fence_results(
    sharepoint: SharePointConnector,
) -> None:
    from charter.agents.catalog import within_constraints
    from charter.connectors.sharepoint import SearchMicrosoft
    from charter.schemas import GrantClaims

    hits = sharepoint.read(SearchMicrosoft(query="launch"))
    assert [(h.name, h.site) for h in hits.items] == [
        ("Spring launch.txt", "contoso.sharepoint.com/sites/Marketing")
    ]
    everywhere = sharepoint.read(SearchMicrosoft(query="revenue"))
    assert {h.site for h in everywhere.items} == {SITE}
    claims = GrantClaims.model_validate(
        {
            "id": "grt_x",
            "subject": "adele@contoso.com",
            "agent": "a",
            "connections": ["c"],
            "verbs": ["read"],
            "constraints": {"sites": ["contoso.sharepoint.com/sites/Marketing"]},
            "expires_at": "2099-01-01T00:00:00Z",
            "issued_at": "2025-01-01T00:00:00Z",
        }
    )
    assert within_constraints(claims, everywhere).items == []


@pytest.mark.parametrize("name", ["..", "Contracts/../../drives", "a?b", "a#b", "%2e%2e", ".hidden"])
def test_list_names_cannot_reach_other_graph_paths(name: str) -> None:
    with pytest.raises(ValueError, match="list"):
        ListColumns(site=SITE, list=name)

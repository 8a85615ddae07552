"""Grant constraints on SharePoint calls, through the Toolkit: sites, folders as path prefixes, lists."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from charter.agents import Toolkit
from charter.auth.connect_microsoft import connect_microsoft
from charter.auth.grants import GrantAuthority
from charter.auth.vault import Vault
from charter.cli.demo_agent import unwrap
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID, OWNER, GraphSandbox

SITE = "contoso.sharepoint.com/sites/Finance"


@pytest.fixture
def make_kit(vault: Vault, graph: GraphSandbox) -> Callable[[dict[str, list[str]]], Toolkit]:
    conn = connect_microsoft(
        vault,
        scopes=["Sites.ReadWrite.All", "Files.ReadWrite.All"],
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


@pytest.fixture
def kit(make_kit: Callable[[dict[str, list[str]]], Toolkit]) -> Toolkit:
    return make_kit({"sites": [SITE], "folders": ["Reports/*"], "lists": ["Contracts"]})


@pytest.mark.parametrize(
    "args",
    [
        {"site": SITE, "path": "Budget.csv"},  # outside the folder
        {"site": SITE, "path": "reports/Q1 summary.txt"},  # a case look-alike of the folder
        {"site": SITE, "path": "Reports2/x.txt"},  # a prefix look-alike
        {"site": "contoso.sharepoint.com/sites/Marketing", "path": "Reports/x.txt"},  # another site
    ],
)
def test_calls_outside_the_grant_are_refused_before_any_request(
    kit: Toolkit, graph: GraphSandbox, args: dict[str, str]
) -> None:
    graph.requests.clear()
    result = kit.call("sharepoint_get_item", args)
    assert result.status == "error"
    assert result.error is not None
    assert result.error["error"] in ("grant_denied", "validation_error")
    assert [e for e in graph.requests.entries if e.path.startswith("/v1.0/")] == []


def test_calls_inside_the_grant_run_and_traversal_is_refused(kit: Toolkit, graph: GraphSandbox) -> None:
    assert kit.call("sharepoint_get_item", {"site": SITE, "path": "Reports/Q1 summary.txt"}).ok
    escape = kit.call("sharepoint_get_item", {"site": SITE, "path": "Reports/../Budget.csv"})
    assert escape.status == "error"
    assert kit.call("sharepoint_list_columns", {"site": SITE, "list": "Contracts"}).ok
    other = kit.call("sharepoint_list_columns", {"site": SITE, "list": "Payroll"})
    assert other.error is not None
    assert other.error["error"] == "grant_denied"


def test_many_item_reads_are_refused_when_any_path_is_outside(kit: Toolkit, graph: GraphSandbox) -> None:
    graph.requests.clear()
    mixed = kit.call(
        "sharepoint_get_items", {"site": SITE, "paths": ["Reports/Q1 summary.txt", "Budget.csv"]}
    )
    assert mixed.error is not None
    assert mixed.error["error"] == "grant_denied"
    assert [e for e in graph.requests.entries if e.path.startswith("/v1.0/")] == []


def test_a_folder_grant_syncs_only_its_folder(kit: Toolkit, graph: GraphSandbox) -> None:
    whole = kit.call("sharepoint_sync_library", {"site": SITE})
    assert whole.error is not None
    assert whole.error["error"] == "grant_denied"
    start = kit.call("sharepoint_sync_library", {"site": SITE, "folder": "Reports/Archive"})
    assert start.ok, start.error
    finance = next(
        d for d in graph.state.drives.values() if d.site_id and "Finance" in graph.state.sites[d.site_id].path
    )
    with graph.lock:
        graph.state.recycle(graph.state.by_path(finance, "Budget.csv"))  # type: ignore[arg-type]
        archive = graph.state.by_path(finance, "Reports/Archive")
        graph.state.add_item(finance, archive, "2024.txt", b"x", OWNER)  # type: ignore[arg-type]
    cursor = start.data["data"]["cursor"]
    later = kit.call("sharepoint_sync_library", {"site": SITE, "folder": "Reports/Archive", "cursor": cursor})
    assert later.ok, later.error
    changed = [c["path"] for c in later.data["data"]["changed"]]
    # The folder itself changed too (it holds one more item); Reports above it is outside the grant.
    assert sorted(changed) == ["Reports/Archive", "Reports/Archive/2024.txt"]
    assert later.data["data"]["deleted"] == []


def test_microsoft_search_shows_only_hits_inside_the_grant(kit: Toolkit) -> None:
    found = kit.call("sharepoint_search_microsoft", {"query": "revenue"})
    assert found.ok, found.error
    # Q1/Q2 summaries are in Reports/ of Finance, but search cannot say which list or library a
    # hit is in, and this grant names a list: every hit is dropped rather than shown.
    assert found.data["items"] == []


def test_microsoft_search_keeps_the_hits_in_the_granted_folder(
    make_kit: Callable[[dict[str, list[str]]], Toolkit],
) -> None:
    kit = make_kit({"sites": [SITE], "folders": ["Reports/*"]})
    unfenced = make_kit({}).call("sharepoint_search_microsoft", {"query": "salaries"})
    assert [unwrap(h["data"]["path"]) for h in unfenced.data["items"]] == ["Budget.csv"]
    hits = kit.call("sharepoint_search_microsoft", {"query": "revenue"}).data["items"]
    names = [unwrap(h["data"]["path"]) for h in hits]
    assert sorted(names) == ["Reports/Q1 summary.txt", "Reports/Q2 summary.txt"]
    budget = kit.call("sharepoint_search_microsoft", {"query": "salaries"})
    assert budget.data["items"] == []  # Budget.csv matches, but lies outside Reports/

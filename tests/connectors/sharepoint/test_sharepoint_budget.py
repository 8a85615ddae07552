"""SharePoint's resource units: the connector counts them as SharePoint does and stays under its budget."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from charter.connectors.base import Attribution
from charter.connectors.sharepoint import (
    CreateFolder,
    CreateSharingLink,
    DownloadFile,
    GetItems,
    InvitePeople,
    ListChildren,
    ListListItems,
    SearchItems,
    SearchMicrosoft,
    SharePointConnector,
    SyncLibrary,
    UpdateListItem,
    UploadFile,
)
from charter.connectors.sharepoint.budget import ResourceBudget, budget_for, units_for
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID, GraphSandbox
from charter.schemas import RateLimited, ValidationError

MakeConnector = Callable[..., SharePointConnector]
SITE = "contoso.sharepoint.com/sites/Finance"


def own_budget(connector: SharePointConnector, **kwargs: int) -> ResourceBudget:
    """A budget of the connector's own, so figures from earlier tests on the tenant do not mix in."""
    connector.api.budget = ResourceBudget(**kwargs)
    return connector.api.budget


@pytest.fixture
def patient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connectors that wait out a whole minute (the sandbox's clock skips it) rather than refuse."""
    monkeypatch.setattr(SharePointConnector, "max_rate_limit_wait", 120.0)


def throttled(graph: GraphSandbox) -> int:
    return sum(1 for e in graph.requests.entries if e.status == 429)


def test_every_action_is_charged_the_resource_units_sharepoint_charges(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    budget = own_budget(sharepoint)
    before = graph.units.spent.get(DEFAULT_CLIENT_ID, 0)
    sharepoint.read(ListChildren(site=SITE, path="Reports"))
    sharepoint.read(GetItems(site=SITE, paths=["Budget.csv"] * 21))  # two `$batch`es, 21 items
    sharepoint.read(SearchItems(site=SITE, query="revenue"))
    start = sharepoint.read(SyncLibrary(site=SITE))
    sharepoint.read(SyncLibrary(site=SITE, cursor=start.cursor))
    sharepoint.read(DownloadFile(site=SITE, path="Budget.csv"))
    sharepoint.read(ListListItems(site=SITE, list="Contracts"))
    sharepoint.read(SearchMicrosoft(query="revenue"))
    agent = Attribution(agent="filing-bot", grant_id="grt_1")
    sharepoint.write(UploadFile(site=SITE, path="Reports/ru.txt", content="x"), attribution=agent)
    sharepoint.write(CreateFolder(site=SITE, path="Reports/RU"))
    sharepoint.write(CreateSharingLink(site=SITE, path="Reports/ru.txt"))
    sharepoint.write(InvitePeople(site=SITE, path="Reports/ru.txt", recipients=["megan@contoso.com"]))
    row = sharepoint.read(ListListItems(site=SITE, list="Contracts")).items[0]
    sharepoint.write(
        UpdateListItem(site=SITE, list="Contracts", item_id=row.id, fields={"Status": "Expired"})
    )
    charged = graph.units.spent[DEFAULT_CLIENT_ID] - before
    assert budget.spent == charged
    assert charged >= 50  # 21 batched gets, and three permission operations at 5 each


def test_the_cost_table_follows_microsofts_published_costs() -> None:
    base = "https://graph.microsoft.com/v1.0"
    assert units_for("GET", f"{base}/drives/d/root:/a.txt") == 1
    assert units_for("GET", f"{base}/drives/d/root:/Reports:/children") == 2
    assert units_for("GET", f"{base}/drives/d/root/delta") == 2
    assert units_for("GET", f"{base}/drives/d/root/delta", {"token": "latest"}) == 1
    assert units_for("GET", f"{base}/drives/d/root/delta?token=abc") == 1
    assert units_for("PUT", f"{base}/drives/d/root:/a.txt:/content") == 2
    assert units_for("POST", f"{base}/drives/d/root:/a.txt:/createLink") == 5
    assert units_for("GET", f"{base}/drives/d/items/1", {"$expand": "permissions"}) == 5
    assert units_for("GET", f"{base}/sites", {"search": "finance"}) == 2
    assert units_for("GET", f"{base}/sites/contoso.sharepoint.com:/sites/Finance") == 1


def test_graphs_ratelimit_headers_hold_requests_back_so_no_429_is_met(
    sharepoint: SharePointConnector, graph: GraphSandbox, patient: None
) -> None:
    graph.set_budget(20)
    budget = own_budget(sharepoint)
    slept: list[float] = []
    sharepoint.sleep = lambda s: (slept.append(s), graph.clock.advance(s))[-1]  # type: ignore[func-returns-value]
    for _ in range(14):
        sharepoint.read(ListChildren(site=SITE, path="Reports"))
    assert throttled(graph) == 0
    assert slept
    assert budget.held == pytest.approx(sum(slept))
    assert budget.limit == 20


def test_control_without_the_headers_the_same_reads_run_into_429s(
    sharepoint: SharePointConnector, graph: GraphSandbox, monkeypatch: pytest.MonkeyPatch, patient: None
) -> None:
    graph.set_budget(20)
    budget = own_budget(sharepoint)
    monkeypatch.setattr(budget, "observe", lambda headers, now: None)
    for _ in range(14):
        sharepoint.read(ListChildren(site=SITE, path="Reports"))
    assert throttled(graph) > 0


def test_a_429_holds_back_the_tenants_other_connectors_until_its_retry_after(
    make_sharepoint: MakeConnector, graph: GraphSandbox, patient: None
) -> None:
    first, second = make_sharepoint(), make_sharepoint()
    assert first.api.budget is second.api.budget is budget_for(graph.graph_base, "adele@contoso.com")
    shared = first.api.budget = second.api.budget = ResourceBudget()
    shared.observe = lambda headers, now: None  # type: ignore[method-assign]
    drive = first.drive_id(SITE, "Documents")
    graph.set_budget(2)
    first.api.call("GET", f"/drives/{drive}/root:/Budget.csv", "Budget.csv")
    with pytest.raises(RateLimited) as refused:
        first.api.call("GET", f"/drives/{drive}/root:/Reports:/children", "Reports")
    wait = float(refused.value.details["retry_after"])
    assert wait > 0
    graph.set_budget()  # room again for the second connector's three requests, once it waits
    slept: list[float] = []
    second.sleep = lambda s: (slept.append(s), graph.clock.advance(s))[-1]  # type: ignore[func-returns-value]
    second.read(ListChildren(site=SITE, path="Reports"))
    assert slept == [pytest.approx(wait, abs=0.5)]
    assert throttled(graph) == 1
    # The connector that met the 429 is not held by it: its own retry waits it out instead.
    now = graph.clock.now()
    assert shared.take(1, now - wait, first.api, 60.0) == 0.0
    assert shared.take(1, now - wait, second.api, 60.0) > 0


def test_a_known_tenant_budget_is_kept_before_graph_says_anything(
    sharepoint: SharePointConnector, graph: GraphSandbox, patient: None
) -> None:
    own_budget(sharepoint, per_minute=6)
    slept: list[float] = []
    sharepoint.sleep = lambda s: (slept.append(s), graph.clock.advance(s))[-1]  # type: ignore[func-returns-value]
    drive = sharepoint.drive_id(SITE, "Documents")
    graph.requests.clear()
    for _ in range(4):
        sharepoint.api.call("GET", f"/drives/{drive}/root:/Reports:/children", "Reports")
    assert slept == [pytest.approx(60.0, abs=1.0)]
    assert len(graph.requests) == 4
    # More than the whole minute's budget at once is refused, not waited for.
    with pytest.raises(ValidationError, match="resource units"):
        sharepoint.api.hold(7, "a huge batch")

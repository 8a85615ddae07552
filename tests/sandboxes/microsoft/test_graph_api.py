"""The Graph sandbox's wire format: every response checked against Microsoft's published v1.0 types."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from charter.sandboxes.microsoft import GraphSandbox
from charter.sandboxes.microsoft.fidelity import GraphTypes, load_graph_types, validate_exchanges

CHUNK = 320 * 1024


@pytest.fixture(scope="module")
def types() -> GraphTypes:
    # The pinned description is required: the test fails, not skips, when npm cannot fetch it.
    return load_graph_types()


def tour(api: httpx.Client, graph: GraphSandbox, site: str, drive: str) -> None:
    """One call of every endpoint the connector uses, successes and refusals."""
    api.get("/sites", params={"search": "finance"})
    api.get(f"/sites/{site}")
    api.get(f"/drives/{drive}")
    api.get(
        f"/drives/{drive}/root:/Reports:/children",
        params={"$select": "id,name,size,eTag,file,folder", "$top": "1"},
    )
    api.get(f"/drives/{drive}/root:/Budget.csv")
    api.get(f"/drives/{drive}/root/search(q='revenue')")
    api.get(f"/sites/{site}/lists")
    api.get(f"/sites/{site}/lists/Contracts")
    api.get(f"/sites/{site}/lists/Contracts/columns")
    rows = api.get(
        f"/sites/{site}/lists/Contracts/items", params={"expand": "fields(select=Title,Status)"}
    ).json()
    api.patch(
        f"/sites/{site}/lists/Contracts/items/1/fields",
        json={"Status": "Expired"},
        headers={"If-Match": rows["value"][0]["eTag"]},
    )
    api.patch(
        f"/sites/{site}/lists/Contracts/items/1/fields",
        json={"Status": "Draft"},
        headers={"If-Match": rows["value"][0]["eTag"]},
    )
    api.post(
        f"/drives/{drive}/root/children",
        json={"name": "New", "folder": {}, "@microsoft.graph.conflictBehavior": "fail"},
    )
    api.post(
        f"/drives/{drive}/root/children",
        json={"name": "New", "folder": {}, "@microsoft.graph.conflictBehavior": "fail"},
    )
    api.put(f"/drives/{drive}/root:/New/note.txt:/content", content=b"hello")
    api.post(
        f"/drives/{drive}/root:/New/note.txt:/createLink", json={"type": "view", "scope": "organization"}
    )
    api.post(
        f"/drives/{drive}/root:/New/note.txt:/invite",
        json={"recipients": [{"email": "pat@fabrikam.com"}], "roles": ["read"]},
    )
    api.get(f"/drives/{drive}/root:/New/note.txt:/permissions")
    api.get(f"/drives/{drive}/root/delta", params={"token": "latest"})
    api.get(f"/drives/{drive}/root/delta")
    api.post(
        "/search/query",
        json={"requests": [{"entityTypes": ["driveItem"], "query": {"queryString": "revenue"}}]},
    )
    api.post(
        "/$batch",
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": f"/drives/{drive}/root:/Budget.csv"},
                {"id": "2", "method": "GET", "url": f"/drives/{drive}/items/missing"},
            ]
        },
    )
    session = api.post(
        f"/drives/{drive}/root:/New/big.bin:/createUploadSession",
        json={"item": {"@microsoft.graph.conflictBehavior": "fail"}},
    ).json()
    data = b"x" * (CHUNK + 10)
    httpx.put(
        session["uploadUrl"],
        content=data[:CHUNK],
        headers={"Content-Range": f"bytes 0-{CHUNK - 1}/{len(data)}"},
    )
    httpx.put(
        session["uploadUrl"],
        content=data[CHUNK:],
        headers={"Content-Range": f"bytes {CHUNK}-{len(data) - 1}/{len(data)}"},
    )
    api.delete(f"/drives/{drive}/root:/New/note.txt")


def test_every_response_matches_the_published_types(
    api: httpx.Client, graph: GraphSandbox, finance: Any, types: GraphTypes
) -> None:
    tour(api, graph, *finance)
    assert len(graph.requests) > 25
    assert validate_exchanges(types, graph.requests.entries) == []


def test_the_fidelity_check_catches_a_wrong_property_and_a_wrong_type(types: GraphTypes) -> None:
    # The control: a misspelt property, a string size and a bad enum are each reported.
    item = {"id": "1", "name": "a", "sizee": 3}
    assert types.check(item, "DriveItem", "x") == ["x: DriveItem has no property 'sizee'"]
    assert types.check({"id": "1", "size": "3"}, "DriveItem", "x") == ["x.size: expected number"]
    column = {"id": "c", "text": {"allowMultipleLines": "no"}}
    assert types.check(column, "ColumnDefinition", "x") == ["x.text.allowMultipleLines: expected boolean"]
    assert types.check({"link": {"scope": "x", "type": "view"}}, "Permission", "p") == []


def test_errors_have_graphs_shape_and_statuses(api: httpx.Client, graph: GraphSandbox, finance: Any) -> None:
    site, drive = finance
    missing = api.get(f"/drives/{drive}/items/nope")
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert error["code"] == "itemNotFound"
    assert "request-id" in error["innerError"]
    stale = api.patch(
        f"/sites/{site}/lists/Contracts/items/1/fields",
        json={"Status": "Draft"},
        headers={"If-Match": '"x,1"'},
    )
    assert stale.status_code == 412
    # SharePoint eTags hold a comma: the matching one must still be recognised.
    current = api.get(f"/sites/{site}/lists/Contracts/items/1").json()["eTag"]
    assert "," in current
    fresh = api.patch(
        f"/sites/{site}/lists/Contracts/items/1/fields",
        json={"Status": "Draft"},
        headers={"If-Match": current},
    )
    assert fresh.status_code == 200
    item = api.get(f"/drives/{drive}/root:/Budget.csv").json()
    assert item["eTag"].startswith('"{')
    assert item["eTag"].endswith('},1"')
    graph.locked.add(item["id"])
    assert api.delete(f"/drives/{drive}/items/{item['id']}").status_code == 423
    assert httpx.get(f"{graph.graph_base}/sites").status_code == 401


def test_delta_starts_latest_reports_changes_and_deletes_and_asks_for_resync(
    api: httpx.Client, graph: GraphSandbox, finance: Any
) -> None:
    _, drive = finance
    latest = api.get(f"/drives/{drive}/root/delta", params={"token": "latest"}).json()
    assert latest["value"] == []
    unchanged = httpx.get(latest["@odata.deltaLink"], headers=api.headers).json()
    assert unchanged["value"] == []
    budget = api.get(f"/drives/{drive}/root:/Budget.csv").json()
    api.delete(f"/drives/{drive}/items/{budget['id']}")
    changes = httpx.get(unchanged["@odata.deltaLink"], headers=api.headers).json()
    assert any(c["id"] == budget["id"] and c["deleted"] == {"state": "deleted"} for c in changes["value"])
    graph.require_resync()
    gone = httpx.get(changes["@odata.deltaLink"], headers=api.headers)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "resyncRequired"
    assert gone.headers["location"].endswith("/root/delta")


def test_batch_is_at_most_twenty_and_a_failed_dependency_gives_424(api: httpx.Client, finance: Any) -> None:
    _, drive = finance
    many = [{"id": str(n), "method": "GET", "url": f"/drives/{drive}"} for n in range(21)]
    assert api.post("/$batch", json={"requests": many}).status_code == 400
    chained = [
        {"id": "a", "method": "GET", "url": f"/drives/{drive}/items/missing"},
        {"id": "b", "method": "GET", "url": f"/drives/{drive}", "dependsOn": ["a"]},
    ]
    answers = {
        r["id"]: r["status"] for r in api.post("/$batch", json={"requests": chained}).json()["responses"]
    }
    assert answers == {"a": 404, "b": 424}


def test_resource_units_throttle_each_batched_request_on_its_own(
    api: httpx.Client, graph: GraphSandbox, finance: Any
) -> None:
    _, drive = finance
    graph.set_budget(4)
    batch = [{"id": str(n), "method": "GET", "url": f"/drives/{drive}"} for n in range(6)]
    answers = api.post("/$batch", json={"requests": batch}).json()["responses"]
    statuses = sorted(r["status"] for r in answers)
    # Batched requests are counted one by one (1 RU per get): four fit, two are throttled alone.
    assert statuses == [200, 200, 200, 200, 429, 429]
    throttled = api.get(f"/drives/{drive}")
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert throttled.headers["ratelimit-remaining"] == "0"


def test_upload_session_refuses_unaligned_fragments_auth_headers_and_repeats(
    api: httpx.Client, graph: GraphSandbox, finance: Any
) -> None:
    _, drive = finance
    url = api.post(f"/drives/{drive}/root:/Reports/big.bin:/createUploadSession", json={}).json()["uploadUrl"]
    assert url.startswith(graph.upload_base)
    assert not url.startswith(graph.url)
    total = 2 * CHUNK + 5
    head = {"Content-Range": f"bytes 0-{CHUNK + 99}/{total}"}
    assert httpx.put(url, content=b"a" * (CHUNK + 100), headers=head).status_code == 400
    first = {"Content-Range": f"bytes 0-{CHUNK - 1}/{total}"}
    assert (
        httpx.put(url, content=b"a" * CHUNK, headers={**first, "Authorization": "Bearer x"}).status_code
        == 401
    )
    step = httpx.put(url, content=b"a" * CHUNK, headers=first)
    assert step.status_code == 202
    assert step.json()["nextExpectedRanges"] == [f"{CHUNK}-"]
    assert httpx.put(url, content=b"a" * CHUNK, headers=first).status_code == 416
    assert (
        httpx.put(url, content=b"a", headers={"Content-Range": f"bytes {CHUNK}-{CHUNK}/*"}).status_code == 400
    )
    rest = b"b" * (CHUNK + 5)
    done = httpx.put(url, content=rest, headers={"Content-Range": f"bytes {CHUNK}-{total - 1}/{total}"})
    assert done.status_code == 201
    assert done.json()["size"] == total
    again = api.post(f"/drives/{drive}/root:/Reports/big.bin:/createUploadSession", json={})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "nameAlreadyExists"


def test_download_urls_live_on_another_host_take_ranges_and_expire(
    api: httpx.Client, graph: GraphSandbox, finance: Any
) -> None:
    _, drive = finance
    redirect = api.get(f"/drives/{drive}/root:/Budget.csv:/content")
    assert redirect.status_code == 302
    url = redirect.headers["location"]
    assert url.startswith(graph.download_base)
    part = httpx.get(url, headers={"Range": "bytes=5-10"})
    assert part.status_code == 206
    assert part.content == b"amount"
    graph.clock.advance(301)
    assert httpx.get(url).status_code == 401


def test_quota_exhaustion_is_507(api: httpx.Client, graph: GraphSandbox, finance: Any) -> None:
    _, drive = finance
    graph.state.drives[drive].quota_total = graph.state.drive_used(graph.state.drives[drive]) + 3
    answer = api.put(f"/drives/{drive}/root:/Reports/x.txt:/content", content=b"four")
    assert answer.status_code == 507
    assert answer.json()["error"]["code"] == "quotaLimitReached"


def test_sites_selected_reaches_only_the_sites_an_admin_granted(graph: GraphSandbox, token: Any) -> None:
    selected = httpx.Client(
        base_url=graph.graph_base, headers={"Authorization": f"Bearer {token('Sites.Selected')}"}
    )
    assert selected.get("/sites/contoso.sharepoint.com:/sites/Finance").status_code == 403
    graph.grant_site("/sites/Finance", "read")
    site = selected.get("/sites/contoso.sharepoint.com:/sites/Finance").json()["id"]
    drive = selected.get(f"/sites/{site}/drives").json()["value"][0]["id"]
    assert selected.get(f"/drives/{drive}/root/children").status_code == 200
    assert (
        selected.post(f"/drives/{drive}/root/children", json={"name": "n", "folder": {}}).status_code == 403
    )
    assert [s["displayName"] for s in selected.get("/sites", params={"search": ""}).json()["value"]] == [
        "Finance"
    ]


def test_children_page_at_the_maximum_and_follow_next_links(
    api: httpx.Client, graph: GraphSandbox, finance: Any
) -> None:
    _, drive = finance
    graph.add_bulk_files(1000)
    first = api.get(
        f"/drives/{drive}/root:/Bulk:/children", params={"$top": "5000", "$select": "id,name"}
    ).json()
    assert len(first["value"]) == 999
    assert set(first["value"][0]) == {"id", "name"}
    rest = httpx.get(first["@odata.nextLink"], headers=api.headers).json()
    assert len(rest["value"]) == 1
    assert "@odata.nextLink" not in rest
    assert json.dumps(first).count("file-") == 999

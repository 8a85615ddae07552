"""The own OneDrive through `/me/drive`: Files.Read and Files.ReadWrite reach it, and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from charter.sandboxes.microsoft import GraphSandbox
from charter.sandboxes.microsoft.fidelity import GraphTypes, load_graph_types, validate_exchanges

Token = Callable[..., str]


@pytest.fixture(scope="module")
def types() -> GraphTypes:
    return load_graph_types()


def client(graph: GraphSandbox, token: Token, *scopes: str, login: str = "adele@contoso.com") -> httpx.Client:
    bearer = token(*scopes, login=login)
    return httpx.Client(base_url=graph.graph_base, headers={"Authorization": f"Bearer {bearer}"}, timeout=10)


def test_files_read_lists_reads_and_syncs_the_own_drive_and_matches_the_types(
    graph: GraphSandbox, token: Token, types: GraphTypes
) -> None:
    me = client(graph, token, "Files.Read")
    drive = me.get("/me/drive").json()
    assert (drive["driveType"], drive["owner"]["user"]["email"]) == ("business", "adele@contoso.com")
    names = [i["name"] for i in me.get("/me/drive/root/children").json()["value"]]
    assert sorted(names) == ["Notes", "Travel plan.txt"]
    todo = me.get("/me/drive/root:/Notes/todo.txt").json()
    assert todo["parentReference"]["path"].endswith("root:/Notes")
    assert "/personal/adele_contoso_com/" in todo["webUrl"]
    assert httpx.get(todo["@microsoft.graph.downloadUrl"]).content.startswith(b"Call the landlord")
    assert [i["name"] for i in me.get("/me/drive/root:/Notes:/children").json()["value"]] == ["todo.txt"]
    # The same drive by id answers alike: `/me/drive` is an alias, not another store.
    assert me.get(f"/drives/{drive['id']}/root:/Notes/todo.txt").json()["id"] == todo["id"]
    start = me.get("/me/drive/root/delta", params={"token": "latest"}).json()["@odata.deltaLink"]
    assert me.get(start).json()["value"] == []
    assert validate_exchanges(types, graph.requests.entries) == []


def test_files_read_reaches_no_library_and_cannot_write_its_own_drive(
    graph: GraphSandbox, token: Token, finance: tuple[str, str]
) -> None:
    _, library = finance
    me = client(graph, token, "Files.Read")
    assert me.get(f"/drives/{library}/root/children").status_code == 403
    refused = me.put("/me/drive/root:/Notes/new.txt:/content", content=b"x")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "accessDenied")
    # Control: the same upload with Files.ReadWrite lands, so the refusal was the scope's.
    writer = client(graph, token, "Files.ReadWrite")
    assert writer.put("/me/drive/root:/Notes/new.txt:/content", content=b"x").status_code == 201
    assert (
        writer.post("/me/drive/root:/Notes:/children", json={"name": "Sub", "folder": {}}).status_code == 201
    )
    assert writer.delete("/me/drive/root:/Notes/new.txt").status_code == 204
    assert writer.get(f"/drives/{library}/root:/Budget.csv").status_code == 403


def test_each_person_reaches_only_their_own_drive(graph: GraphSandbox, token: Token) -> None:
    adele = client(graph, token, "Files.ReadWrite")
    megan = client(graph, token, "Files.ReadWrite", login="megan@contoso.com")
    adele_drive = adele.get("/me/drive").json()["id"]
    assert megan.get("/me/drive").json()["id"] != adele_drive
    assert megan.get("/me/drive/root:/Notes/todo.txt").status_code == 404
    # Megan's own-drive scope does not open Adele's drive by id either.
    assert megan.get(f"/drives/{adele_drive}/root:/Notes/todo.txt").status_code == 403
    search = {"requests": [{"entityTypes": ["driveItem"], "query": {"queryString": "landlord"}}]}
    broad = client(graph, token, "Files.Read.All", login="megan@contoso.com")
    hits = broad.post("/search/query", json=search).json()["value"][0]["hitsContainers"][0]["hits"]
    assert hits == []
    mine = client(graph, token, "Files.Read.All").post("/search/query", json=search).json()
    assert len(mine["value"][0]["hitsContainers"][0]["hits"]) == 1


def test_patching_a_description_checks_scope_etag_and_properties(
    graph: GraphSandbox, token: Token, types: GraphTypes
) -> None:
    writer = client(graph, token, "Files.ReadWrite")
    item = writer.get("/me/drive/root:/Notes/todo.txt").json()
    url = f"/me/drive/items/{item['id']}"
    done = writer.patch(url, json={"description": "Posted by agent `a`"}, headers={"If-Match": item["eTag"]})
    assert done.json()["description"] == "Posted by agent `a`"
    assert done.json()["eTag"] != item["eTag"]
    stale = writer.patch(url, json={"description": "again"}, headers={"If-Match": item["eTag"]})
    assert (stale.status_code, stale.json()["error"]["code"]) == (412, "preconditionFailed")
    assert writer.patch(url, json={"name": "renamed.txt"}).status_code == 400
    assert client(graph, token, "Files.Read").patch(url, json={"description": "x"}).status_code == 403
    assert validate_exchanges(types, graph.requests.entries) == []

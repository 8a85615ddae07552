"""SharePoint drafts and writes: previews, exactly-once retries, uploads, conflicts, sharing, risks."""

from __future__ import annotations

import json

import httpx
import pytest

from charter.connectors.base import Attribution
from charter.connectors.sharepoint import (
    CreateFolder,
    CreateSharingLink,
    DeleteItem,
    InvitePeople,
    ListListItems,
    SharePointConnector,
    UpdateListItem,
    UploadFile,
)
from charter.connectors.sharepoint.upload import FRAGMENT_UNIT
from charter.sandboxes.microsoft import GraphSandbox
from charter.schemas import Conflict, ValidationError

SITE = "contoso.sharepoint.com/sites/Finance"
AGENT = Attribution(agent="filing-bot", grant_id="grt_1")


def finance(graph: GraphSandbox) -> object:
    return next(
        d
        for d in graph.state.drives.values()
        if d.site_id and graph.state.sites[d.site_id].path == "/sites/Finance"
    )


def at(graph: GraphSandbox, path: str) -> object:
    return graph.state.by_path(finance(graph), path)  # type: ignore[arg-type]


def test_upload_draft_previews_a_diff_and_changes_nothing(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    before = graph.state.seq
    change = UploadFile(
        site=SITE,
        path="Reports/Q1 summary.txt",
        content="Revenue grew 5% in Q1.\nCosts were flat.\n",
        replace=True,
    )
    draft = sharepoint.draft(change, attribution=AGENT)
    assert "-Revenue grew 4% in Q1." in draft.preview
    assert "+Revenue grew 5% in Q1." in draft.preview
    assert "filing-bot" in draft.preview
    assert draft.location == "store"
    assert graph.state.seq == before
    result = sharepoint.write(draft.id)
    assert at(graph, "Reports/Q1 summary.txt").content.startswith(b"Revenue grew 5%")  # type: ignore[union-attr]
    assert sharepoint.write(draft.id).replayed
    assert result.id


def test_an_existing_file_is_not_replaced_unless_asked(sharepoint: SharePointConnector) -> None:
    with pytest.raises(Conflict, match="replace"):
        sharepoint.draft(UploadFile(site=SITE, path="Budget.csv", content="x"))


def test_a_large_upload_goes_in_aligned_fragments_without_a_token(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    text = "0123456789" * (500 * 1024)  # 5 MiB: over the simple-upload limit
    sharepoint.write(UploadFile(site=SITE, path="Reports/big.txt", content=text), attribution=AGENT)
    fragments = [e for e in graph.requests.entries if e.path == "/uploadSession"]
    assert fragments
    assert all("authorization" not in e.request_headers for e in fragments)
    sizes = [len(e.request_body) for e in fragments]
    assert all(s % FRAGMENT_UNIT == 0 for s in sizes[:-1])
    stored = at(graph, "Reports/big.txt")
    assert stored.content == text.encode()  # type: ignore[union-attr]
    assert "filing-bot" in (stored.description or "")  # type: ignore[union-attr]


def test_an_access_token_expiring_mid_upload_does_not_break_it(
    sharepoint: SharePointConnector, graph: GraphSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "e" * (21 * 1024 * 1024)  # three fragments
    send = sharepoint.api.put_fragment

    def then_expire(url: str, data: bytes, first: int, total: int, subject: str) -> object:
        answer = send(url, data, first, total, subject)
        if first == 0:
            graph.tokens.expire_access_tokens()  # the token's hour ends between two fragments
        return answer

    monkeypatch.setattr(sharepoint.api, "put_fragment", then_expire)
    sharepoint.write(UploadFile(site=SITE, path="Reports/long.txt", content=text), attribution=AGENT)
    stored = at(graph, "Reports/long.txt")
    assert stored.content == text.encode()  # type: ignore[union-attr]
    assert "filing-bot" in (stored.description or "")  # type: ignore[union-attr]
    assert [e for e in graph.requests.entries if e.status == 401] == []
    # Control: the token the session was opened with had really expired by the last fragment.
    opened = next(e for e in graph.requests.entries if e.path.endswith("/createUploadSession"))
    stale = httpx.get(
        graph.graph_base + "/me/drive", headers={"Authorization": opened.request_headers["authorization"]}
    )
    assert stale.status_code == 401


def test_a_lost_fragment_resumes_from_next_expected_ranges(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    text = "z" * (10 * 1024 * 1024 + 7)  # two fragments of at most 10 MiB
    graph.faults.drop_next(1, when="after", method="PUT", path="/uploadSession")
    sharepoint.write(UploadFile(site=SITE, path="Reports/resumed.txt", content=text))
    puts = [e for e in graph.requests.entries if e.path == "/uploadSession" and e.method == "PUT"]
    # The dropped fragment had arrived: the upload asked how far it got and sent only the rest.
    assert any(e.method == "GET" for e in graph.requests.entries if e.path == "/uploadSession")
    assert len(puts) == 2
    assert at(graph, "Reports/resumed.txt").content == text.encode()  # type: ignore[union-attr]


def test_a_lost_last_fragment_is_recognised_on_retry(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    text = "q" * (5 * 1024 * 1024)
    graph.faults.drop_next(1, when="after", method="PUT", path="/uploadSession")
    sharepoint.write(UploadFile(site=SITE, path="Reports/once.txt", content=text))
    assert at(graph, "Reports/once.txt").content == text.encode()  # type: ignore[union-attr]
    sessions = [e for e in graph.requests.entries if e.path.endswith("/createUploadSession")]
    assert len(sessions) == 1


def test_create_folder_is_exactly_once_when_the_answer_is_lost(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    graph.faults.drop_next(1, when="after", method="POST", path="*/children")
    result = sharepoint.write(CreateFolder(site=SITE, path="Reports/2026"), attribution=AGENT)
    assert result.summary.startswith("created folder")
    folders = [c for c in graph.state.children(at(graph, "Reports").id) if c.name.startswith("2026")]  # type: ignore[union-attr]
    assert len(folders) == 1
    with pytest.raises(Conflict):
        sharepoint.write(CreateFolder(site=SITE, path="Reports/2026"), idempotency_key="another")


def test_list_item_update_checks_columns_and_refuses_a_stale_etag(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    row = sharepoint.read(ListListItems(site=SITE, list="Contracts")).items[1]
    with pytest.raises(ValidationError, match="no column 'Stage'"):
        sharepoint.draft(
            UpdateListItem(site=SITE, list="Contracts", item_id=row.id, fields={"Stage": "x"}, etag=row.etag)
        )
    with pytest.raises(ValidationError, match="not a choice"):
        sharepoint.draft(
            UpdateListItem(
                site=SITE, list="Contracts", item_id=row.id, fields={"Status": "Done"}, etag=row.etag
            )
        )
    change = UpdateListItem(
        site=SITE, list="Contracts", item_id=row.id, fields={"Status": "Signed"}, etag=row.etag
    )
    draft = sharepoint.draft(change)
    assert "Status: 'Draft' → 'Signed'" in draft.preview
    sharepoint.write(draft.id)
    stale = UpdateListItem(
        site=SITE, list="Contracts", item_id=row.id, fields={"Status": "Expired"}, etag=row.etag
    )
    with pytest.raises(Conflict, match="changed since it was read") as refused:
        sharepoint.write(stale)
    assert refused.value.details["stale_etag"] == row.etag
    assert (
        graph.state.sites[next(iter(s for s in graph.state.sites if "Finance" in graph.state.sites[s].path))]
        .lists["contracts"]
        .items[row.id]
        .fields["Status"]
        == "Signed"
    )


def test_a_lost_field_update_is_recognised_on_retry(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    row = sharepoint.read(ListListItems(site=SITE, list="Contracts")).items[0]
    graph.faults.drop_next(1, when="after", method="PATCH")
    change = UpdateListItem(
        site=SITE, list="Contracts", item_id=row.id, fields={"Amount": 15000}, etag=row.etag
    )
    assert sharepoint.write(change).summary.startswith("updated Amount")


def test_sharing_link_risks_and_reach(sharepoint: SharePointConnector, graph: GraphSandbox) -> None:
    spec = sharepoint.spec("create_sharing_link")
    inside = CreateSharingLink(site=SITE, path="Budget.csv", scope="organization")
    anyone = CreateSharingLink(site=SITE, path="Budget.csv", scope="anonymous")
    assert sharepoint.risks_for(spec, inside) == {"sharing"}
    assert sharepoint.risks_for(spec, anyone) == {"sharing", "external"}
    draft = sharepoint.draft(anyone)
    assert "ANYONE" in draft.preview
    assert not at(graph, "Budget.csv").permissions
    first = sharepoint.write(draft.id)
    again = sharepoint.write(anyone, idempotency_key="a-second-ask")
    assert first.url
    assert first.url == again.url
    assert len(at(graph, "Budget.csv").permissions) == 1  # type: ignore[union-attr]


def test_invite_is_external_for_outsiders_and_once_after_a_lost_answer(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    spec = sharepoint.spec("invite")
    colleague = InvitePeople(site=SITE, path="Budget.csv", recipients=["megan@contoso.com"])
    outsider = InvitePeople(site=SITE, path="Budget.csv", recipients=["pat@fabrikam.com"], role="write")
    assert sharepoint.risks_for(spec, colleague) == {"sharing"}
    assert sharepoint.risks_for(spec, outsider) == {"sharing", "external"}
    assert "Outside your organization: pat@fabrikam.com" in sharepoint.draft(outsider).preview
    graph.faults.drop_next(1, when="after", method="POST", path="*/invite")
    sharepoint.write(outsider)
    assert len(at(graph, "Budget.csv").permissions) == 1  # type: ignore[union-attr]


def test_delete_moves_to_the_recycle_bin_once(sharepoint: SharePointConnector, graph: GraphSandbox) -> None:
    spec = sharepoint.spec("delete_item")
    assert "destructive" in spec.risks
    item = at(graph, "Reports/Archive")
    draft = sharepoint.draft(DeleteItem(site=SITE, path="Reports/Archive"))
    assert "recycle bin" in draft.preview
    assert "1 item" in draft.preview
    graph.faults.drop_next(1, when="after", method="DELETE")
    sharepoint.write(draft.id)
    assert item.deleted  # type: ignore[union-attr]
    assert graph.state.items[item.id].deleted  # type: ignore[union-attr]
    assert not any(e.method == "POST" and "permanentDelete" in e.path for e in graph.requests.entries)


def test_uploads_refuse_paths_that_escape_a_folder() -> None:
    for bad in ("Reports/../Secret.txt", "/", "Reports/./x", "a:b", "Reports//x\\y"):
        with pytest.raises(ValueError, match=r"valid file or folder name|name a file"):
            UploadFile(site=SITE, path=bad, content="x")


def test_requests_never_carry_the_token_to_upload_or_download_hosts(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    sharepoint.write(UploadFile(site=SITE, path="Reports/big2.txt", content="y" * (4 * 1024 * 1024 + 1)))
    assert graph.transfers.authorized_uploads == 0
    assert (
        json.dumps([e.to_dict(False) for e in graph.requests.entries if e.path == "/uploadSession"]).count(
            "authorization"
        )
        == 0
    )


def test_replacing_a_large_file_previews_its_size_without_downloading_it(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    sharepoint.write(UploadFile(site=SITE, path="Reports/huge.txt", content="h" * (2 * 1024 * 1024)))
    graph.requests.clear()
    draft = sharepoint.draft(UploadFile(site=SITE, path="Reports/huge.txt", content="small", replace=True))
    assert "2,097,152 → 5 bytes" in draft.preview
    assert "no diff" in draft.preview
    assert not any(e.path == "/download.aspx" for e in graph.requests.entries)


def test_a_small_upload_names_the_agent_and_grant_in_its_description(
    sharepoint: SharePointConnector, graph: GraphSandbox
) -> None:
    sharepoint.write(UploadFile(site=SITE, path="Reports/small.txt", content="hi\n"), attribution=AGENT)
    stored = at(graph, "Reports/small.txt")
    assert stored.description == AGENT.line()  # type: ignore[union-attr]
    writes = [e.method for e in graph.requests.entries if e.method in ("PUT", "PATCH")]
    assert writes == ["PUT", "PATCH"]
    # Control: without an attribution nothing follows the PUT, and no description is invented.
    graph.requests.clear()
    sharepoint.write(UploadFile(site=SITE, path="Reports/plain.txt", content="hi\n"))
    assert at(graph, "Reports/plain.txt").description is None  # type: ignore[union-attr]
    assert [e.method for e in graph.requests.entries if e.method in ("PUT", "PATCH")] == ["PUT"]


@pytest.mark.parametrize(("when", "patches"), [("before", 2), ("after", 1)])
def test_a_lost_description_answer_neither_uploads_twice_nor_loses_the_attribution(
    sharepoint: SharePointConnector, graph: GraphSandbox, when: str, patches: int
) -> None:
    graph.faults.drop_next(1, when=when, method="PATCH", path="*")
    sharepoint.write(UploadFile(site=SITE, path="Reports/kept.txt", content="once\n"), attribution=AGENT)
    stored = at(graph, "Reports/kept.txt")
    assert stored.content == b"once\n"  # type: ignore[union-attr]
    assert stored.description == AGENT.line()  # type: ignore[union-attr]
    assert [e.method for e in graph.requests.entries if e.method == "PUT"] == ["PUT"]
    # Dropped before the item, the PATCH is sent again; dropped after, the retry sees it done.
    assert len([e for e in graph.requests.entries if e.method == "PATCH"]) == patches

"""The Notion sandbox through the official notion-client: sharing, capabilities, limits, errors, paging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from notion_client import APIResponseError, Client

from charter.sandboxes.notion import NOTION_VERSION, NotionSandbox, seed_id

HOME = seed_id("team-home")
PRIVATE = seed_id("private")
PROJECTS = seed_id("projects")
PROJECTS_DB = seed_id("projects-db")


def para(text: str, children: list[Any] | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {"rich_text": [{"type": "text", "text": {"content": text}}]}
    if children is not None:
        inner["children"] = children
    return {"object": "block", "type": "paragraph", "paragraph": inner}


@pytest.fixture
def notion(nsb: NotionSandbox) -> Client:
    return Client(auth=nsb.oauth.issue_token().access_token, base_url=nsb.url, retry=False)


def refused(call: Any, code: str) -> APIResponseError:
    with pytest.raises(APIResponseError) as caught:
        call()
    assert caught.value.code == code, caught.value.body
    return caught.value


def test_search_finds_only_what_is_shared(notion: Client) -> None:
    found = notion.search(query="")["results"]
    ids = {r["id"] for r in found}
    assert HOME in ids
    assert PROJECTS in ids
    assert PRIVATE not in ids
    only_sources = notion.search(filter={"property": "object", "value": "data_source"})["results"]
    assert {r["object"] for r in only_sources} == {"data_source"}


def test_a_page_not_shared_is_404_like_a_missing_one(notion: Client, nsb: NotionSandbox) -> None:
    assert PRIVATE in nsb.state.pages
    error = refused(lambda: notion.pages.retrieve(page_id=PRIVATE), "object_not_found")
    assert error.status == 404
    assert "shared with your integration" in str(error)
    refused(lambda: notion.blocks.children.list(block_id=PRIVATE), "object_not_found")
    # Control: sharing it makes the same call succeed.
    nsb.state.shared.add(PRIVATE)
    assert notion.pages.retrieve(page_id=PRIVATE)["id"] == PRIVATE


def test_descendants_of_a_shared_page_are_visible(notion: Client, nsb: NotionSandbox) -> None:
    nsb.state.shared = {PROJECTS_DB}
    assert notion.data_sources.query(data_source_id=PROJECTS)["results"]
    refused(lambda: notion.pages.retrieve(page_id=HOME), "object_not_found")


def test_a_missing_capability_is_403(nsb: NotionSandbox) -> None:
    nsb.oauth.capabilities = frozenset({"read_content"})
    before = len(nsb.state.content_of(HOME))
    reader = Client(auth=nsb.oauth.issue_token().access_token, base_url=nsb.url, retry=False)
    assert reader.pages.retrieve(page_id=HOME)["id"] == HOME
    error = refused(
        lambda: reader.blocks.children.append(block_id=HOME, children=[para("x")]), "restricted_resource"
    )
    assert error.status == 403
    refused(lambda: reader.comments.list(block_id=HOME), "restricted_resource")
    assert len(nsb.state.content_of(HOME)) == before


def test_limits_refuse_the_request_and_write_nothing(notion: Client, nsb: NotionSandbox) -> None:
    before = len(nsb.state.blocks)
    append = notion.blocks.children.append
    refused(lambda: append(block_id=HOME, children=[para("x")] * 101), "validation_error")
    refused(lambda: append(block_id=HOME, children=[para("x" * 2001)]), "validation_error")
    deep = [para("a", [para("b", [para("c")])])]
    refused(lambda: append(block_id=HOME, children=deep), "validation_error")
    wide = [para(str(i), [para("y")] * 99) for i in range(11)]
    refused(
        lambda: notion.pages.create(parent={"page_id": HOME}, properties={}, children=wide),
        "validation_error",
    )
    assert len(nsb.state.blocks) == before
    # Controls: exactly at each limit is accepted.
    append(block_id=HOME, children=[para("x")] * 100)
    append(block_id=HOME, children=[para("x" * 2000, [para("b")])])
    assert len(nsb.state.blocks) == before + 102


def test_a_body_over_500_kb_is_refused(notion: Client, nsb: NotionSandbox) -> None:
    big = [para("€" * 2000)] * 100  # 3 bytes each in UTF-8: 600 KB
    with httpx.Client(base_url=nsb.url) as raw:
        headers = {
            "Authorization": f"Bearer {nsb.oauth.issue_token().access_token}",
            "Notion-Version": NOTION_VERSION,
        }
        answer = raw.patch(f"/v1/blocks/{HOME}/children", json={"children": big}, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["code"] == "validation_error"
    assert "too large" in answer.json()["message"]


def test_children_page_by_100_with_cursors(notion: Client) -> None:
    for _ in range(3):
        notion.blocks.children.append(block_id=HOME, children=[para("row")] * 100)
    first = notion.blocks.children.list(block_id=HOME, page_size=100)
    assert len(first["results"]) == 100
    assert first["has_more"]
    seen = len(first["results"])
    cursor = first["next_cursor"]
    while cursor:
        page = notion.blocks.children.list(block_id=HOME, page_size=100, start_cursor=cursor)
        seen += len(page["results"])
        cursor = page["next_cursor"]
    assert seen == 309
    refused(lambda: notion.blocks.children.list(block_id=HOME, page_size=101), "validation_error")


def test_query_filters_and_sorts(notion: Client) -> None:
    rows = notion.data_sources.query(
        data_source_id=PROJECTS,
        filter={
            "and": [
                {"property": "Owner", "rich_text": {"equals": "Mona"}},
                {"property": "Points", "number": {"greater_than": 2}},
            ]
        },
        sorts=[{"property": "Due", "direction": "ascending"}],
    )["results"]
    assert [r["properties"]["Name"]["title"][0]["plain_text"] for r in rows] == [
        "API rate limits",
        "Onboarding guide",
    ]
    refused(
        lambda: notion.data_sources.query(
            data_source_id=PROJECTS, filter={"property": "Nope", "number": {"equals": 1}}
        ),
        "validation_error",
    )


def test_a_database_resolves_to_its_data_source(notion: Client) -> None:
    database = notion.databases.retrieve(database_id=PROJECTS_DB)
    assert [s["id"] for s in database["data_sources"]] == [PROJECTS]
    page = notion.pages.create(
        parent={"database_id": PROJECTS_DB}, properties={"Name": {"title": [{"text": {"content": "Via db"}}]}}
    )
    assert page["parent"]["data_source_id"] == PROJECTS


def test_property_values_are_checked_against_the_schema(notion: Client, nsb: NotionSandbox) -> None:
    rows = len(nsb.state.pages)
    bad = {"Name": {"title": [{"text": {"content": "x"}}]}, "Status": {"status": {"name": "Shipped"}}}
    refused(
        lambda: notion.pages.create(parent={"data_source_id": PROJECTS}, properties=bad), "validation_error"
    )
    refused(
        lambda: notion.pages.create(
            parent={"data_source_id": PROJECTS}, properties={"Points": {"select": {"name": "x"}}}
        ),
        "validation_error",
    )
    assert len(nsb.state.pages) == rows


def test_trash_accepts_in_trash_and_archived_and_blocks_edits(notion: Client) -> None:
    page = notion.pages.create(
        parent={"page_id": HOME}, properties={"title": {"title": [{"text": {"content": "T"}}]}}
    )
    trashed = notion.pages.update(page_id=page["id"], in_trash=True)
    assert trashed["in_trash"]
    assert trashed["archived"]
    refused(
        lambda: notion.blocks.children.append(block_id=page["id"], children=[para("x")]), "validation_error"
    )
    assert notion.pages.update(page_id=page["id"], archived=False)["in_trash"] is False
    assert page["id"] not in {r["id"] for r in notion.search(query="T")["results"] if r["in_trash"]}


def test_rate_limit_answers_429_with_retry_after(notion: Client, nsb: NotionSandbox) -> None:
    nsb.rate_limit.enabled = True
    for _ in range(3):
        notion.users.me()
    error = refused(notion.users.me, "rate_limited")
    assert error.status == 429
    assert int(error.headers["retry-after"]) >= 1
    nsb.clock.advance(1.0)
    assert notion.users.me()["type"] == "bot"


def test_injected_faults_have_notions_shape(notion: Client, nsb: NotionSandbox) -> None:
    nsb.faults.fail_next(1, status=503, path=f"/v1/pages/{HOME}")
    error = refused(lambda: notion.pages.retrieve(page_id=HOME), "service_unavailable")
    assert error.body
    assert '"object": "error"' in str(error.body)
    nsb.faults.rate_limit_next(1, retry_after=7)
    assert refused(notion.users.me, "rate_limited").headers["retry-after"] == "7"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Notion-Version": NOTION_VERSION}, "unauthorized"),
        ({"Authorization": "Bearer ntn_forged"}, "missing_version"),
        ({"Authorization": "Bearer ntn_forged", "Notion-Version": NOTION_VERSION}, "unauthorized"),
    ],
)
def test_wire_errors_use_notions_body(nsb: NotionSandbox, headers: dict[str, str], code: str) -> None:
    answer = httpx.get(f"{nsb.url}/v1/users/me", headers=headers)
    body = answer.json()
    assert body["object"] == "error"
    assert body["code"] == code
    assert body["status"] == answer.status_code
    assert body["request_id"]


def test_bad_json_and_unknown_urls(nsb: NotionSandbox) -> None:
    headers = {
        "Authorization": f"Bearer {nsb.oauth.issue_token().access_token}",
        "Notion-Version": NOTION_VERSION,
    }
    answer = httpx.post(f"{nsb.url}/v1/search", content=b"{not json", headers=headers)
    assert answer.json()["code"] == "invalid_json"
    assert httpx.get(f"{nsb.url}/v1/nowhere", headers=headers).json()["code"] == "invalid_request_url"
    odd = httpx.get(f"{nsb.url}/v1/pages/not-a-uuid", headers=headers).json()
    assert odd["code"] == "validation_error"
    assert "uuid" in odd["message"]


def test_ids_are_accepted_without_dashes(notion: Client) -> None:
    assert notion.pages.retrieve(page_id=HOME.replace("-", ""))["id"] == HOME


def test_comments_are_listed_and_added(notion: Client, nsb: NotionSandbox) -> None:
    made = notion.comments.create(parent={"page_id": HOME}, rich_text=[{"text": {"content": "Looks good"}}])
    reply = notion.comments.create(
        discussion_id=made["discussion_id"], rich_text=[{"text": {"content": "Thanks"}}]
    )
    assert reply["discussion_id"] == made["discussion_id"]
    texts = [c["rich_text"][0]["plain_text"] for c in notion.comments.list(block_id=HOME)["results"]]
    assert texts[-2:] == ["Looks good", "Thanks"]
    refused(lambda: notion.comments.list(block_id=PRIVATE), "object_not_found")


def test_the_control_api_shares_sets_capabilities_issues_tokens_and_limits(nsb: NotionSandbox) -> None:
    control = f"{nsb.url}/_sandbox/notion"
    assert httpx.post(f"{control}/share", json={"shared": [PRIVATE]}).json()["shared"] == [PRIVATE]
    httpx.post(f"{control}/consent", json={"capabilities": ["read_content", "bogus"]})
    assert nsb.oauth.capabilities == {"read_content"}
    internal = httpx.post(f"{control}/tokens", json={"internal": True}).json()["access_token"]
    assert nsb.tokens.lookup(internal) is not None
    assert httpx.post(f"{control}/rate_limit", json={"enabled": True, "burst": 1}).json()["enabled"] is True
    state = httpx.get(f"{nsb.url}/_sandbox/state").json()
    assert state["shared"] == [PRIVATE]
    assert state["pages"][HOME]["content"][0] == "Welcome to the team space"

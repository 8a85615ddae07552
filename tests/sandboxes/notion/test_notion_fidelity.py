"""Every exchange notion-client has with the sandbox conforms to Notion's official description.

The description is fetched at test time from its npm package (never from a local copy), and the
test fails when it cannot be obtained.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from notion_client import APIResponseError, Client

from charter.sandboxes.fidelity import OpenAPISpec
from charter.sandboxes.notion import NotionSandbox, seed_id
from charter.sandboxes.notion.fidelity import DEFECTS, NotionSpec, obtain_spec

HOME = seed_id("team-home")
PROJECTS = seed_id("projects")


@pytest.fixture(scope="module")
def raw_document() -> dict[str, Any]:
    try:
        path = obtain_spec()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))
    with open(path, encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


@pytest.fixture(scope="module")
def spec(raw_document: dict[str, Any]) -> NotionSpec:
    return NotionSpec(raw_document)


def text(content: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": {"content": content}}]


def drive_everything(notion: Client) -> None:
    notion.search(query="Team", filter={"property": "object", "value": "page"}, page_size=10)
    page = notion.pages.retrieve(page_id=HOME)
    notion.pages.properties.retrieve(page_id=HOME, property_id=page["properties"]["title"]["id"])
    listing = notion.blocks.children.list(block_id=HOME, page_size=3)
    notion.blocks.children.list(block_id=HOME, page_size=3, start_cursor=listing["next_cursor"])
    notion.blocks.retrieve(block_id=listing["results"][0]["id"])
    notion.data_sources.retrieve(data_source_id=PROJECTS)
    notion.data_sources.query(
        data_source_id=PROJECTS,
        filter={"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "2025-01-01"}},
        sorts=[{"timestamp": "last_edited_time", "direction": "ascending"}],
    )
    notion.databases.retrieve(database_id=seed_id("projects-db"))
    made = notion.pages.create(
        parent={"data_source_id": PROJECTS},
        properties={"Name": {"title": text("Fidelity")}, "Status": {"status": {"name": "Done"}}},
        children=[
            {"type": "heading_2", "heading_2": {"rich_text": text("Notes")}},
            {"type": "to_do", "to_do": {"rich_text": text("check"), "checked": False}},
            {
                "type": "bulleted_list_item",
                "bulleted_list_item": {
                    "rich_text": text("a"),
                    "children": [{"type": "paragraph", "paragraph": {"rich_text": text("b")}}],
                },
            },
        ],
        icon={"emoji": "📝"},
    )
    appended = notion.blocks.children.append(
        block_id=made["id"], children=[{"type": "divider", "divider": {}}]
    )
    todo = notion.blocks.children.list(block_id=made["id"])["results"][1]
    notion.blocks.update(block_id=todo["id"], to_do={"checked": True})
    notion.blocks.delete(block_id=appended["results"][0]["id"])
    notion.pages.update(page_id=made["id"], properties={"Points": {"number": 4}})
    notion.comments.create(parent={"page_id": made["id"]}, rich_text=text("A comment"))
    notion.comments.list(block_id=made["id"])
    notion.pages.update(page_id=made["id"], in_trash=True)
    for call in (
        lambda: notion.pages.retrieve(page_id=seed_id("private")),
        lambda: notion.blocks.children.append(
            block_id=HOME, children=[{"paragraph": {"rich_text": text("x" * 2001)}}]
        ),
    ):
        with pytest.raises(APIResponseError):
            call()


def test_every_exchange_conforms(nsb: NotionSandbox, spec: NotionSpec) -> None:
    notion = Client(auth=nsb.oauth.issue_token().access_token, base_url=nsb.url, retry=False)
    drive_everything(notion)
    nsb.rate_limit.enabled = True
    nsb.rate_limit.burst = 1
    notion.search(query="")
    with pytest.raises(APIResponseError):
        notion.search(query="")
    exchanges = nsb.requests.entries
    assert {e.status for e in exchanges} >= {200, 400, 404, 429}
    assert [str(p) for p in spec.check(exchanges)] == []


def test_each_named_defect_is_real(raw_document: dict[str, Any], nsb: NotionSandbox) -> None:
    """Control: against the unpatched description, the same traffic fails exactly where the defects are."""
    notion = Client(auth=nsb.oauth.issue_token().access_token, base_url=nsb.url, retry=False)
    drive_everything(notion)
    unpatched = OpenAPISpec(raw_document)
    create = nsb.requests.last("POST", "/v1/pages")
    assert create is not None
    body = unpatched.document["paths"]["/v1/pages"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert body["properties"]["children"]["items"] == {"type": "string"}
    update = unpatched.document["paths"]["/v1/blocks/{block_id}"]["patch"]["requestBody"]["content"]
    assert "type" in update["application/json"]["schema"]["properties"]
    assert len(DEFECTS) == 8
    comments = nsb.requests.last("GET", "/v1/comments")
    assert comments is not None
    assert unpatched.validate("GET", "/v1/comments", 200, comments.response_body) != []


def test_a_wrong_response_is_caught(spec: NotionSpec) -> None:
    """Control: the check does fail on bodies Notion would never send."""
    bad_error = json.dumps({"object": "error", "status": 400, "code": "nope", "message": 3}).encode()
    assert spec.check_response("GET", f"/v1/pages/{HOME}", 404, bad_error)
    bad_comments = json.dumps({"object": "list", "results": {}}).encode()
    assert spec.check_response("GET", "/v1/comments", 200, bad_comments)
    bad_request = json.dumps(
        {"children": [{"type": "paragraph", "paragraph": {"rich_text": "plain"}}]}
    ).encode()
    assert spec.check_request("PATCH", f"/v1/blocks/{HOME}/children", bad_request)
    assert spec.check_request("PATCH", f"/v1/blocks/{HOME}", json.dumps({"type": {}}).encode())

"""Notion writes through notion-client: limits split away, attribution, drafts, exactly once under faults."""

from __future__ import annotations

from typing import Any

import pytest

from charter.connectors.base import Attribution
from charter.connectors.notion import (
    AddComment,
    AppendBlocks,
    BlockInput,
    CreatePage,
    NotionConnector,
    RestorePage,
    TrashPage,
    UpdateProperties,
)
from charter.sandboxes.notion import NotionSandbox, seed_id
from charter.sandboxes.notion.state import plain_title
from charter.schemas import ScopeMissing, ValidationError

HOME, NOTES, PROJECTS = seed_id("team-home"), seed_id("meeting-notes"), seed_id("projects")
AGENT = Attribution(agent="notes-bot", grant_id="grt_123")


def pages_titled(nsb: NotionSandbox, title: str) -> list[str]:
    return [p.id for p in nsb.state.pages.values() if plain_title(p.properties) == title]


def deep_content() -> list[BlockInput]:
    """Four levels, 230 items, a toggle with 150 children, and text far past 2,000 characters."""
    nested = [
        BlockInput(type="bulleted_list_item", text="level 1"),
        BlockInput(type="bulleted_list_item", text="level 2", depth=2),
        BlockInput(type="bulleted_list_item", text="level 3", depth=3),
        BlockInput(type="paragraph", text="level 4", depth=4),
    ]
    many = [BlockInput(type="numbered_list_item", text=f"item {i}") for i in range(230)]
    wide = [
        BlockInput(type="toggle", text="wide"),
        *(BlockInput(text=f"child {i}", depth=2) for i in range(150)),
    ]
    long_text = "x" * 4500 + "😀" * 1500
    return [
        BlockInput(type="heading_1", text="Plan"),
        *nested,
        *many,
        *wide,
        BlockInput(type="paragraph", text=long_text),
        BlockInput(type="to_do", text="ship", checked=True),
    ]


def expected_text(blocks: list[BlockInput]) -> list[str]:
    return [block.text for block in blocks]


def test_create_page_in_a_data_source_with_properties_and_markdown(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    change = CreatePage(
        parent_id=PROJECTS, title="Q1 review",
        properties={"Status": "Not started", "Points": 5, "Tags": ["web"]},
        markdown="## Agenda\n- budget\n  - travel\n- [x] hiring",
    )  # fmt: skip
    result = notion.write(change, attribution=AGENT)
    page = nsb.state.pages[result.id]
    assert page.data_source_id == PROJECTS
    assert page.properties["Status"]["status"]["name"] == "Not started"
    assert page.properties["Points"]["number"] == 5
    text = nsb.content_text(page.id)
    assert text[:4] == ["Agenda", "budget", "travel", "hiring"]
    assert "notes-bot" in text[-1]
    assert "grt_123" in text[-1]


def test_long_deep_content_is_split_to_notions_limits(notion: NotionConnector, nsb: NotionSandbox) -> None:
    blocks = deep_content()
    result = notion.write(CreatePage(parent_id=HOME, title="Big plan", blocks=blocks), attribution=AGENT)
    text = nsb.content_text(result.id)
    assert text[:-1] == expected_text(blocks)
    assert "notes-bot" in text[-1]
    for exchange in nsb.requests.find(method="PATCH"):
        body = exchange.request_json()
        assert isinstance(body, dict)
        assert len(body["children"]) <= 100


def test_a_lost_answer_mid_append_resumes_without_duplicates(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    blocks = [BlockInput(text=f"row {i}") for i in range(250)]
    before = len(nsb.content_text(NOTES))
    nsb.faults.drop_next(1, when="after", method="PATCH")
    nsb.faults.fail_next(1, status=502, method="PATCH")
    notion.write(AppendBlocks(page_id=NOTES, blocks=blocks), attribution=AGENT)
    text = nsb.content_text(NOTES)[before:]
    assert text[:-1] == [f"row {i}" for i in range(250)]
    assert sum("notes-bot" in t for t in text) == 1


def test_a_lost_answer_on_create_finds_the_page(notion: NotionConnector, nsb: NotionSandbox) -> None:
    nsb.faults.drop_next(1, when="after", method="POST", path="/v1/pages")
    change = CreatePage(parent_id=PROJECTS, title="Exactly once", markdown="hello")
    result = notion.write(change, attribution=AGENT)
    assert pages_titled(nsb, "Exactly once") == [result.id]
    under_page = CreatePage(
        parent_id=HOME, title="Once under a page", blocks=[BlockInput(text=f"{i}") for i in range(150)]
    )
    nsb.faults.drop_next(1, when="after", method="PATCH")
    again = notion.write(under_page)
    assert pages_titled(nsb, "Once under a page") == [again.id]
    assert nsb.content_text(again.id)[:-1] == [str(i) for i in range(150)]


def test_a_lost_comment_is_found_not_posted_twice(notion: NotionConnector, nsb: NotionSandbox) -> None:
    nsb.faults.drop_next(1, when="after", method="POST", path="/v1/comments")
    notion.write(AddComment(page_id=HOME, text="Minutes are up."), attribution=AGENT)
    posted = [c for c in nsb.state.comments if "Minutes are up." in c.rich_text[0]["plain_text"]]
    assert len(posted) == 1
    assert "notes-bot" in "".join(t["plain_text"] for t in posted[0].rich_text)


def test_without_read_comments_a_retry_refuses_rather_than_repeat(
    make_notion: Any, nsb: NotionSandbox
) -> None:
    writer = make_notion(capabilities={"insert_comments"})
    nsb.faults.drop_next(1, when="after", method="POST", path="/v1/comments")
    with pytest.raises(ScopeMissing, match="read_comments"):
        writer.write(AddComment(page_id=HOME, text="Only once."))
    assert sum("Only once." in c.rich_text[0]["plain_text"] for c in nsb.state.comments) == 1


@pytest.mark.parametrize(
    ("properties", "says"),
    [
        ({"Status": "Shipped"}, "options"),
        ({"Points": "many"}, "number"),
        ({"Nope": 1}, "no such property"),
        ({"Due": "soon"}, "ISO date"),
        ({"Done": "yes"}, "true or false"),
        ({"Owner": "x" * 200_001}, "200,000 in all"),
        ({"Tags": [f"tag {i}" for i in range(101)]}, "at most 100 options"),
    ],
)
def test_property_values_are_checked_before_sending(
    notion: NotionConnector, nsb: NotionSandbox, properties: dict[str, Any], says: str
) -> None:
    row = seed_id("projects/row/0")
    with pytest.raises(ValidationError, match=says):
        notion.write(UpdateProperties(page_id=row, properties=properties))
    with pytest.raises(ValidationError, match=says):
        notion.draft(CreatePage(parent_id=PROJECTS, title="x", properties=properties))
    assert nsb.requests.count("PATCH") == 0
    assert nsb.requests.count("POST", "/v1/pages") == 0


def test_a_property_at_notions_limits_is_written_whole(notion: NotionConnector, nsb: NotionSandbox) -> None:
    """Control for the refusals above: exactly at the limits, Notion takes the value."""
    row = seed_id("projects/row/0")
    notion.write(UpdateProperties(page_id=row, properties={"Owner": "😀" * 100_000}))
    owner = nsb.state.pages[row].properties["Owner"]["rich_text"]
    assert len(owner) == 100
    assert "".join(t["text"]["content"] for t in owner) == "😀" * 100_000


def test_a_draft_shows_the_page_and_commits_what_it_showed(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    change = CreatePage(
        parent_id=PROJECTS,
        title="Launch notes",
        properties={"Status": "In progress"},
        markdown="# Go\n- [ ] test",
    )
    draft = notion.draft(change, attribution=AGENT)
    assert "New page “Launch notes” in data source “Projects”" in draft.preview
    assert "Status: In progress" in draft.preview
    assert "- [ ] test" in draft.preview
    assert "notes-bot" in draft.preview
    assert pages_titled(nsb, "Launch notes") == []
    result = notion.write(draft.id, attribution=AGENT)
    assert pages_titled(nsb, "Launch notes") == [result.id]
    assert notion.write(draft.id).replayed


def test_property_update_preview_shows_before_and_after(notion: NotionConnector, nsb: NotionSandbox) -> None:
    row = seed_id("projects/row/1")
    draft = notion.draft(UpdateProperties(page_id=row, properties={"Status": "Done"}))
    assert "Status: Not started → Done" in draft.preview
    notion.write(draft.id)
    assert nsb.state.pages[row].properties["Status"]["status"]["name"] == "Done"


def test_trash_and_restore(notion: NotionConnector, nsb: NotionSandbox) -> None:
    assert "destructive" in NotionConnector.actions["trash_page"].risks
    result = notion.write(TrashPage(page_id=NOTES))
    assert nsb.state.pages[NOTES].in_trash
    assert "restore_page" in result.summary
    notion.write(RestorePage(page_id=NOTES))
    assert not nsb.state.pages[NOTES].in_trash


def test_the_rate_budget_keeps_under_notions_limit(notion: NotionConnector, nsb: NotionSandbox) -> None:
    nsb.rate_limit.enabled = True
    blocks = [BlockInput(text=f"row {i}") for i in range(600)]
    notion.write(AppendBlocks(page_id=NOTES, blocks=blocks))
    assert nsb.rate_limit.refused == 0
    assert notion.api.budget.waited > 0


def test_without_the_budget_notion_refuses_and_retry_after_is_honoured(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    """Control: a budget far above 3 rps meets 429s, which the connector waits out on the sandbox clock."""
    nsb.rate_limit.enabled = True
    notion.api.budget.per_second = notion.api.budget.burst = 1000.0
    notion.write(AppendBlocks(page_id=NOTES, blocks=[BlockInput(text=f"row {i}") for i in range(600)]))
    assert nsb.rate_limit.refused > 0
    assert nsb.faults.early_retries == []

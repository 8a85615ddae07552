"""Notion reads through notion-client: budgets and cursors, Markdown parts, queries, sharing, grants."""

from __future__ import annotations

from typing import Any

import pytest

from charter.connectors.notion import (
    GetPage,
    GetPageContent,
    ListComments,
    NotionConnector,
    PropertyFilter,
    QueryDataSource,
    ReadPageText,
    Search,
    Sort,
)
from charter.connectors.notion.models import PageContent
from charter.sandboxes.notion import NotionSandbox, seed_id
from charter.schemas import GrantDenied, NotFound, ScopeMissing, ValidationError

HOME, NOTES, PRIVATE = seed_id("team-home"), seed_id("meeting-notes"), seed_id("private")
PROJECTS, PROJECTS_DB = seed_id("projects"), seed_id("projects-db")


def big_page(nsb: NotionSandbox, blocks: int = 2000, nested_every: int = 50) -> str:
    """A page of `blocks` paragraphs, every `nested_every`-th one holding a nested bullet."""
    state = nsb.state
    with nsb.lock:
        page = state.add_page(
            {"type": "page_id", "page_id": HOME},
            {"title": {"id": "title", "type": "title", "title": []}},
            "u",
        )
        for i in range(blocks):
            block = state.add_block(page.id, "paragraph", {"rich_text": [_rt(f"line {i}")]}, "u")
            if i % nested_every == 0:
                state.add_block(block.id, "bulleted_list_item", {"rich_text": [_rt(f"under {i}")]}, "u")
    return page.id


def _rt(text: str) -> dict[str, Any]:
    return {
        "type": "text",
        "text": {"content": text, "link": None},
        "plain_text": text,
        "annotations": {},
        "href": None,
    }


def read_all(notion: NotionConnector, page_id: str, **kwargs: Any) -> tuple[list[str], int]:
    request = GetPageContent(page_id=page_id, **kwargs)
    texts: list[str] = []
    calls = 0
    while True:
        answer = notion.read(request)
        assert isinstance(answer, PageContent)
        calls += 1
        texts += [b.text for b in answer.blocks]
        if answer.next_cursor is None:
            return texts, calls
        request = request.model_copy(update={"cursor": answer.next_cursor})


def test_content_is_read_within_the_budget_and_continues_exactly(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    page = big_page(nsb)
    first = notion.read(GetPageContent(page_id=page, max_blocks=300))
    assert len(first.blocks) == 300
    assert not first.complete
    assert "next_cursor" in first.note
    texts, _calls = read_all(notion, page, max_blocks=300)
    expected = [
        t for i in range(2000) for t in ([f"line {i}", f"under {i}"] if i % 50 == 0 else [f"line {i}"])
    ]
    assert texts == expected
    sizes = {e.query for e in nsb.requests.entries if e.path.endswith("/children")}
    assert all("page_size=100" in q for q in sizes)


def test_depth_one_leaves_nested_blocks_and_says_so(notion: NotionConnector, nsb: NotionSandbox) -> None:
    page = big_page(nsb, blocks=10, nested_every=5)
    answer = notion.read(GetPageContent(page_id=page, depth=1))
    assert [b.text for b in answer.blocks] == [f"line {i}" for i in range(10)]
    assert [b.children_not_read for b in answer.blocks].count(True) == 2
    assert answer.complete


def test_a_larger_budget_may_continue_a_cursor(notion: NotionConnector, nsb: NotionSandbox) -> None:
    page = big_page(nsb, blocks=400)
    first = notion.read(GetPageContent(page_id=page, max_blocks=150))
    rest = notion.read(GetPageContent(page_id=page, max_blocks=1000, cursor=first.next_cursor))
    assert len(first.blocks) + len(rest.blocks) == 408
    assert rest.complete


def test_a_forged_cursor_cannot_reach_an_unrelated_page(notion: NotionConnector, nsb: NotionSandbox) -> None:
    from charter.connectors.cursors import seal

    nsb.state.shared.add(PRIVATE)
    request = GetPageContent(page_id=HOME, max_blocks=5)
    forged = seal(
        request.model_copy(update={"max_blocks": 1}), {"stack": [[HOME, 1, None, 1], [PRIVATE, 2, None, 0]]}
    )
    before = len(nsb.requests)
    with pytest.raises(ValidationError):
        notion.read(request.model_copy(update={"cursor": forged}))
    assert not any(PRIVATE in e.path for e in nsb.requests.entries[before:])
    # Control: the cursor the connector itself gave continues.
    real = notion.read(request)
    assert notion.read(request.model_copy(update={"cursor": real.next_cursor})).blocks


def test_page_text_comes_in_parts_that_add_up(notion: NotionConnector, nsb: NotionSandbox) -> None:
    page = big_page(nsb, blocks=1500)
    parts, request = [], ReadPageText(page_id=page, max_chars=2000)
    while True:
        part = notion.read(request)
        assert len(part.markdown) <= 2000 + 60
        parts.append(part.markdown)
        if part.next_cursor is None:
            break
        request = request.model_copy(update={"cursor": part.next_cursor})
    lines = "\n".join(parts).split("\n")
    assert lines[0] == "line 0"
    assert lines[1] == "  - under 0"
    assert lines[-1] == "line 1499"
    assert len(lines) == 1530
    assert len(parts) > 5


def test_page_text_renders_the_seed_as_markdown(notion: NotionConnector) -> None:
    text = notion.read(ReadPageText(page_id=HOME)).markdown
    assert text.startswith("# Welcome to the team space")
    assert "- [ ] Review the quarterly plan" in text
    assert "  - Each project has an owner" in text
    assert f"[page: Meeting notes 2025-01-14](notion:{NOTES})" in text


def test_query_resolves_a_database_and_applies_typed_filters(notion: NotionConnector) -> None:
    rows = notion.read(
        QueryDataSource(
            data_source_id=PROJECTS_DB,
            filters=[PropertyFilter(property="Tags", condition="contains", value="docs")],
            sorts=[Sort(property="Points", direction="descending")],
        )
    )
    assert [r.title for r in rows.items] == ["Onboarding guide", "Docs search"]
    assert rows.items[0].properties["Tags"] == ["docs"]
    assert rows.items[0].properties["Points"] == 3


@pytest.mark.parametrize(
    "bad",
    [
        PropertyFilter(property="Nope", condition="equals", value="x"),
        PropertyFilter(property="Points", condition="contains", value="3"),
        PropertyFilter(property="Points", condition="equals", value="three"),
        PropertyFilter(property="Due", condition="after", value="next week"),
    ],
)
def test_a_filter_that_does_not_fit_the_schema_is_refused_before_querying(
    notion: NotionConnector, nsb: NotionSandbox, bad: PropertyFilter
) -> None:
    with pytest.raises(ValidationError):
        notion.read(QueryDataSource(data_source_id=PROJECTS, filters=[bad]))
    assert nsb.requests.count("POST", f"/v1/data_sources/{PROJECTS}/query") == 0


def test_a_repeat_query_returns_only_what_changed(notion: NotionConnector, nsb: NotionSandbox) -> None:
    first = notion.read(QueryDataSource(data_source_id=PROJECTS, edited_since="2025-01-01T00:00:00Z"))
    assert len(first.items) == 4
    assert first.watermark
    again = notion.read(QueryDataSource(data_source_id=PROJECTS, since_watermark=first.watermark))
    assert again.items == []
    nsb.clock.advance(120)
    row = seed_id("projects/row/2")
    with nsb.lock:
        nsb.state.pages[row].properties["Points"]["number"] = 21
        nsb.state.touch(row, "u")
    changed = notion.read(QueryDataSource(data_source_id=PROJECTS, since_watermark=again.watermark))
    assert [r.id for r in changed.items] == [row]


def test_an_edit_in_the_same_minute_is_not_missed(notion: NotionConnector, nsb: NotionSandbox) -> None:
    row = seed_id("projects/row/0")
    nsb.clock.advance(3600)
    with nsb.lock:
        nsb.state.touch(row, "u")
    first = notion.read(QueryDataSource(data_source_id=PROJECTS, edited_since="2025-01-01T00:00:00Z"))
    with nsb.lock:
        nsb.state.pages[row].properties["Points"]["number"] = 99
        nsb.state.touch(row, "u")
    again = notion.read(QueryDataSource(data_source_id=PROJECTS, since_watermark=first.watermark))
    assert [r.properties["Points"] for r in again.items] == [99]


def test_a_page_not_shared_is_told_apart_from_a_missing_one(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    notion.read(GetPageContent(page_id=HOME))  # the connection sees the meeting notes' id here
    nsb.state.shared = {PROJECTS_DB}
    with pytest.raises(NotFound) as unshared:
        notion.read(GetPage(page_id=NOTES))
    assert unshared.value.code == "not_shared"
    assert "Connections" in unshared.value.message
    with pytest.raises(NotFound) as missing:
        notion.read(GetPage(page_id="0" * 32))
    assert missing.value.code == "not_found"
    assert "check the id" in missing.value.message
    # Naming an id, even as a Notion URL, proves nothing: only an id Notion itself answered with does.
    made_up = f"https://www.notion.so/acme/Roadmap-{'1' * 32}"
    with pytest.raises(NotFound) as named:
        notion.read(GetPage(page_id=made_up))
    assert named.value.code == "not_found"


def test_a_missing_capability_names_the_one_to_enable(make_notion: Any, nsb: NotionSandbox) -> None:
    fooled = make_notion(capabilities={"read_content"}, claimed={"read_content", "read_comments"})
    with pytest.raises(ScopeMissing) as refused:
        fooled.read(ListComments(page_id=HOME))
    assert "Read comments" in refused.value.message
    assert refused.value.details["missing"] == ["read_comments"]
    honest = make_notion(capabilities={"read_content"})
    before = len(nsb.requests)
    with pytest.raises(ScopeMissing):
        honest.read(ListComments(page_id=HOME))
    assert len(nsb.requests) == before


def test_within_admits_descendants_and_refuses_the_rest(notion: NotionConnector, nsb: NotionSandbox) -> None:
    row = seed_id("projects/row/0")
    assert notion.read(GetPage(page_id=row, within=HOME)).title == "Onboarding guide"
    assert notion.read(GetPageContent(page_id=NOTES, within=HOME)).blocks
    nsb.state.shared.add(PRIVATE)
    before = len(nsb.requests)
    for request in (
        GetPage(page_id=PRIVATE, within=HOME),
        GetPageContent(page_id=PRIVATE, within=NOTES),
        GetPage(page_id=HOME, within=NOTES),
    ):
        with pytest.raises(GrantDenied):
            notion.read(request)
    assert not any(e.path.endswith(f"{PRIVATE}/children") for e in nsb.requests.entries[before:])


def test_search_within_keeps_only_descendants(notion: NotionConnector, nsb: NotionSandbox) -> None:
    nsb.state.shared.add(PRIVATE)
    everything = {r.id for r in notion.collect(Search(page_size=100))}
    assert PRIVATE in everything
    inside = {r.id for r in notion.collect(Search(page_size=100, within=HOME))}
    assert PRIVATE not in inside
    assert NOTES in inside
    assert PROJECTS in inside


def test_ids_are_accepted_as_urls_and_without_dashes(notion: NotionConnector) -> None:
    url = f"https://www.notion.so/acme/Team-Home-{HOME.replace('-', '')}?pvs=4"
    assert notion.read(GetPage(page_id=url)).id == HOME
    with pytest.raises(Exception, match="Notion id"):
        GetPage(page_id="../../v1/users")


def test_a_page_moved_out_of_the_granted_tree_stops_counting_as_inside(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    assert notion.read(GetPage(page_id=NOTES, within=HOME)).id == NOTES
    with nsb.lock:
        nsb.state.shared.add(PRIVATE)
        nsb.state.pages[NOTES].parent = {"type": "page_id", "page_id": PRIVATE}
        nsb.state.blocks[NOTES].parent_id = PRIVATE
    nsb.clock.advance(31)
    with pytest.raises(GrantDenied):
        notion.read(GetPage(page_id=NOTES, within=HOME))


@pytest.mark.parametrize("budget", [7, 100, 101])
def test_every_budget_reads_every_block_once_in_order(
    notion: NotionConnector, nsb: NotionSandbox, budget: int
) -> None:
    """Stops at every kind of place: inside a nested level, at the end of a page of 100, at a parent's end."""
    with nsb.lock:
        page = nsb.state.add_page(
            {"type": "page_id", "page_id": HOME},
            {"title": {"id": "title", "type": "title", "title": []}},
            "u",
        )
        expected = []
        for i in range(120):
            block = nsb.state.add_block(page.id, "paragraph", {"rich_text": [_rt(f"p{i}")]}, "u")
            expected.append(f"p{i}")
            if i in (0, 99, 119):
                for j in range(101):
                    inner = nsb.state.add_block(block.id, "paragraph", {"rich_text": [_rt(f"p{i}.{j}")]}, "u")
                    expected.append(f"p{i}.{j}")
                    if j == 100:
                        nsb.state.add_block(inner.id, "paragraph", {"rich_text": [_rt(f"p{i}.{j}.x")]}, "u")
                        expected.append(f"p{i}.{j}.x")
    texts, _ = read_all(notion, page.id, max_blocks=budget, depth=3)
    assert texts == expected

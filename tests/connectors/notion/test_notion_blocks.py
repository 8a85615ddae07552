"""Splitting text and content to Notion's limits, Markdown in, the rate budget, both trash flags."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from charter.connectors.notion.blocks import from_markdown, plan, text_pieces, utf16_units
from charter.connectors.notion.client import RateBudget
from charter.connectors.notion.models import BlockInput
from charter.connectors.notion.responses import trashed


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=9000))
def test_pieces_rejoin_and_fit_2000_utf16_units(text: str) -> None:
    pieces = text_pieces(text)
    assert "".join(pieces) == text
    assert all(utf16_units(p) <= 2000 for p in pieces)


def test_an_emoji_is_never_cut_in_half() -> None:
    text = "a" + "😀" * 1000  # 2,001 units: the last emoji must move whole to the next piece
    first, second = text_pieces(text)
    assert utf16_units(first) == 1999
    assert second == "😀"


def test_a_very_long_text_continues_in_more_blocks() -> None:
    assert len(plan([BlockInput(type="quote", text="y" * 200_000)])) == 1
    more = plan([BlockInput(text="z" * 150_000), BlockInput(text="w" * 150_000)])
    assert [len(p.body["paragraph"]["rich_text"]) for p in more] == [75, 75]
    longest = plan([BlockInput(text="😀" * 150_000), BlockInput(text="c", depth=2)])  # 300,000 units
    assert len(longest) == 2
    assert len(longest[1].children) == 1  # the child goes under the block's last part


def test_depths_become_a_tree_and_headings_hold_no_children() -> None:
    tree = plan(
        [
            BlockInput(type="heading_2", text="h"),
            BlockInput(text="under a heading", depth=2),
            BlockInput(type="bulleted_list_item", text="a"),
            BlockInput(type="bulleted_list_item", text="b", depth=5),
            BlockInput(type="bulleted_list_item", text="c", depth=3),
        ]
    )
    assert [p.key()[1] for p in tree] == ["h", "under a heading", "a"]
    assert [c.key()[1] for c in tree[2].children] == ["b"]
    assert [c.key()[1] for c in tree[2].children[0].children] == ["c"]


def test_markdown_becomes_blocks() -> None:
    blocks = from_markdown(
        "# Title\n\nSome text\nmore text\n\n- a\n  - b\n- [x] done\n1. first\n> quoted\n---\n"
        "```py\nx = 1\n```"
    )
    assert [(b.type, b.text) for b in blocks] == [
        ("heading_1", "Title"),
        ("paragraph", "Some text\nmore text"),
        ("bulleted_list_item", "a"),
        ("bulleted_list_item", "b"),
        ("to_do", "done"),
        ("numbered_list_item", "first"),
        ("quote", "quoted"),
        ("divider", ""),
        ("code", "x = 1"),
    ]
    assert [(b.text, b.depth) for b in blocks[2:4]] == [("a", 1), ("b", 2)]
    assert blocks[4].checked is True
    assert blocks[8].language == "py"


def test_both_trash_flags_count() -> None:
    assert trashed({"archived": True})
    assert trashed({"in_trash": True})
    assert not trashed({"in_trash": False})


def test_the_budget_spaces_requests_at_three_a_second() -> None:
    budget = RateBudget()
    waits = [budget.take(100.0) for _ in range(9)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert 1.99 < waits[-1] < 2.1
    budget.close_for(5, 100.0)
    assert budget.take(100.0) >= 5.0


def test_deep_markdown_indentation_stays_within_twelve_levels() -> None:
    markdown = "\n".join("  " * i + f"- item {i}" for i in range(300))
    blocks = from_markdown(markdown)
    assert max(b.depth for b in blocks) == 12
    node, depth = plan(blocks)[0], 1
    while node.children:
        node, depth = node.children[-1], depth + 1
    assert depth == 12

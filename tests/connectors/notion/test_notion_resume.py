"""A nested write survives losing any one request: each fails in turn; the content lands whole, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from charter.connectors.notion import AppendBlocks, BlockInput, CreatePage
from charter.connectors.notion.client import NotionApi
from charter.sandboxes.notion import NotionSandbox, seed_id
from charter.sandboxes.notion.state import plain_title

HOME, NOTES = seed_id("team-home"), seed_id("meeting-notes")
Fault = Callable[[NotionSandbox], None]
# A request refused before Notion acted, and one whose answer was lost after it acted.
FAULTS: dict[str, Fault] = {
    "refused": lambda nsb: nsb.faults.fail_next(1, status=502, method="PATCH"),
    "lost": lambda nsb: nsb.faults.drop_next(1, when="after", method="PATCH"),
}


def tree() -> list[BlockInput]:
    """Four levels, with a toggle and a child too wide for one request, and a top level too long for one."""
    wide = [
        BlockInput(type="toggle", text="wide"),
        *(BlockInput(text=f"child {i}", depth=2) for i in range(5)),
        BlockInput(type="toggle", text="child deep", depth=2),
        *(BlockInput(text=f"grandchild {i}", depth=3) for i in range(120)),
        BlockInput(type="toggle", text="grandchild deep", depth=3),
        BlockInput(text="level 4", depth=4),
        *(BlockInput(text=f"child {i}", depth=2) for i in range(5, 210)),
    ]
    return [*wide, *(BlockInput(text=f"top {i}") for i in range(120))]


def arm_on(monkeypatch: pytest.MonkeyPatch, nsb: NotionSandbox, fault: Fault, at: int) -> list[int]:
    """Arms `fault` just before the `at`-th block append the connector sends (1-based); counts them all."""
    sent = [0]
    original = NotionApi.call

    def call(self: NotionApi, subject: str, method: Any, **kwargs: Any) -> Any:
        if subject.startswith("adding blocks"):
            sent[0] += 1
            if sent[0] == at:
                fault(nsb)
        return original(self, subject, method, **kwargs)

    monkeypatch.setattr(NotionApi, "call", call)
    return sent


def appends_needed(make_notion: Any, nsb: NotionSandbox, monkeypatch: pytest.MonkeyPatch) -> int:
    """How many appends the tree takes when nothing fails (the control: more than one at each level)."""
    sent = arm_on(monkeypatch, nsb, FAULTS["refused"], at=0)
    make_notion().write(AppendBlocks(page_id=NOTES, blocks=tree()))
    monkeypatch.undo()
    nsb.reset()
    return sent[0]


def top_blocks(nsb: NotionSandbox) -> list[str]:
    return [block.id for block in nsb.state.visible_children(NOTES)]


@pytest.mark.parametrize(
    ("kind", "where"), [("refused", "end"), ("lost", "end"), ("lost", "after the first block")]
)
def test_any_one_append_of_a_deep_write_may_fail_and_the_content_lands_once(
    make_notion: Any, nsb: NotionSandbox, monkeypatch: pytest.MonkeyPatch, kind: str, where: str
) -> None:
    needed = appends_needed(make_notion, nsb, monkeypatch)
    assert needed >= 5, "the tree should need appends at the top, under a block, and under a child"
    planned = [b.text for b in tree()]
    for at in range(1, needed + 1):
        nsb.reset()
        original = nsb.content_text(NOTES)
        first = top_blocks(nsb)[0]
        after = first if where != "end" else None
        head = 1 + len(nsb.content_text(first)) if after else len(original)
        arm_on(monkeypatch, nsb, FAULTS[kind], at)
        make_notion().write(AppendBlocks(page_id=NOTES, blocks=tree(), after=after))
        monkeypatch.undo()
        text = nsb.content_text(NOTES)
        written = text[head : head + len(planned)]
        assert written == planned, f"append {at} of {needed} {kind}, {where}"
        assert "Charter" in text[head + len(planned)], "the attribution line closes what was written"
        assert text[:head] + text[head + len(planned) + 1 :] == original, "the rest of the page as it was"


def test_a_new_page_whose_nested_append_failed_is_completed_on_retry(
    make_notion: Any, nsb: NotionSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first append after the page's creation carries the wide toggle's children 100 to 209.
    arm_on(monkeypatch, nsb, FAULTS["refused"], at=1)
    result = make_notion().write(CreatePage(parent_id=HOME, title="Deep plan", blocks=tree()))
    assert [p.id for p in nsb.state.pages.values() if plain_title(p.properties) == "Deep plan"] == [result.id]
    assert nsb.content_text(result.id)[:-1] == [b.text for b in tree()]

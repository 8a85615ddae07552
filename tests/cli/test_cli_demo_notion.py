"""The Notion scene of `charter demo`, checked through the Notion sandbox it ran against."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from charter.cli.context import Local
from charter.cli.demo_notion import AGENT, notion_scene
from charter.cli.narration import Narrator
from charter.sandboxes.notion import NotionSandbox, seed_id
from charter.sandboxes.notion.state import plain_title
from charter.schemas import ApprovalStatus


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Local, NotionSandbox]]:
    here = Local(Path(tmp_path_factory.mktemp("demo-notion")) / "home")
    with NotionSandbox() as sandbox:
        notion_scene(here, Narrator(0), sandbox=sandbox)
        yield here, sandbox


def test_one_project_page_holds_the_decisions_and_names_the_agent(scene: tuple[Local, NotionSandbox]) -> None:
    here, sandbox = scene
    [grant] = here.grants.list()
    pages = [p for p in sandbox.state.pages.values() if plain_title(p.properties).startswith("Follow-ups")]
    assert len(pages) == 1
    [page] = pages
    assert page.data_source_id == seed_id("projects")
    assert page.properties["Status"]["status"]["name"] == "Not started"
    text = sandbox.content_text(page.id)
    assert text[1:3] == ["Ship the onboarding guide by Friday.", "Move the launch review to next week."]
    assert AGENT in text[-1]
    assert grant.id in text[-1]


def test_the_comment_is_posted_once_and_both_writes_were_approved(scene: tuple[Local, NotionSandbox]) -> None:
    here, sandbox = scene
    notes = seed_id("meeting-notes")
    mine = [c for c in sandbox.state.comments if c.parent.get("page_id") == notes]
    assert len(mine) == 1
    approvals = here.approvals.list()
    assert len(approvals) == 2
    assert {a.status for a in approvals} == {ApprovalStatus.APPROVED}
    assert here.audit.verify()


def test_nothing_outside_the_granted_tree_was_read(scene: tuple[Local, NotionSandbox]) -> None:
    _, sandbox = scene
    private = seed_id("private")
    # Charter asks where the page sits (Notion answers 404: it is not shared) and reads nothing of it.
    assert not any(private in e.path and e.status == 200 for e in sandbox.requests.entries)
    assert any(private in e.path and e.status == 404 for e in sandbox.requests.entries)
    assert not sandbox.state.pages[seed_id("meeting-notes")].in_trash

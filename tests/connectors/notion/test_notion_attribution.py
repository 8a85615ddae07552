"""A property update names the agent and grant in a comment on the page, exactly once."""

from __future__ import annotations

from typing import Any

from charter.connectors.base import Attribution
from charter.connectors.notion import UpdateProperties
from charter.contract_tests.harnesses.notion import EVERY_CAPABILITY
from charter.sandboxes.notion import NotionSandbox, seed_id

ROW = seed_id("projects/row/1")
AGENT = Attribution(agent="notes-bot", grant_id="grt_123")
DONE = UpdateProperties(page_id=ROW, properties={"Status": "Done", "Points": 5})


def notes_on_row(nsb: NotionSandbox) -> list[str]:
    on_row = [c for c in nsb.state.comments if c.parent.get("page_id") == ROW]
    texts = ["".join(t["plain_text"] for t in c.rich_text) for c in on_row]
    return [t for t in texts if "notes-bot" in t]


def test_the_comment_names_agent_grant_and_properties(make_notion: Any, nsb: NotionSandbox) -> None:
    result = make_notion().write(DONE, attribution=AGENT)
    notes = notes_on_row(nsb)
    assert len(notes) == 1
    assert all(word in notes[0] for word in ("grt_123", "Status", "Points"))
    assert "names the agent" in result.summary
    assert nsb.state.pages[ROW].properties["Status"]["status"]["name"] == "Done"


def test_a_lost_answer_to_the_comment_does_not_post_a_second(make_notion: Any, nsb: NotionSandbox) -> None:
    nsb.faults.drop_next(1, when="after", method="POST", path="/v1/comments")
    make_notion().write(DONE, attribution=AGENT)
    assert len(nsb.requests.find(method="POST", path="/v1/comments")) == 1, "the retry found the comment"
    assert len(notes_on_row(nsb)) == 1


def test_a_lost_answer_to_the_update_still_gets_its_one_comment(make_notion: Any, nsb: NotionSandbox) -> None:
    nsb.faults.drop_next(1, when="after", method="PATCH", path=f"/v1/pages/{ROW}")
    make_notion().write(DONE, attribution=AGENT)
    assert len(nsb.requests.find(method="PATCH", path=f"/v1/pages/{ROW}")) == 2
    assert len(notes_on_row(nsb)) == 1


def test_without_insert_comments_the_summary_says_why_no_comment(
    make_notion: Any, nsb: NotionSandbox
) -> None:
    without = EVERY_CAPABILITY - {"insert_comments"}
    result = make_notion(capabilities=without).write(DONE, attribution=AGENT)
    assert notes_on_row(nsb) == []
    assert "lacks Insert comments" in result.summary
    assert nsb.requests.find(method="POST", path="/v1/comments") == []


def test_without_read_comments_a_retry_does_not_risk_a_second(make_notion: Any, nsb: NotionSandbox) -> None:
    without = EVERY_CAPABILITY - {"read_comments"}
    nsb.faults.drop_next(1, when="after", method="POST", path="/v1/comments")
    result = make_notion(capabilities=without).write(DONE, attribution=AGENT)
    assert len(notes_on_row(nsb)) == 1
    assert "not posted again" in result.summary

"""Notion's 409 conflict_error: re-sent after a pause (nothing was written), then a retryable `conflict`."""

from __future__ import annotations

import pytest

from charter.connectors.notion import AppendBlocks, BlockInput, NotionConnector, UpdateProperties
from charter.connectors.notion.client import CONFLICT_RETRIES
from charter.sandboxes.notion import NotionSandbox, seed_id
from charter.schemas import Conflict

ROW = seed_id("projects/row/1")
NOTES = seed_id("meeting-notes")


def status(nsb: NotionSandbox) -> str:
    return str(nsb.state.pages[ROW].properties["Status"]["status"]["name"])


def test_a_passing_conflict_is_re_sent_and_written_once(notion: NotionConnector, nsb: NotionSandbox) -> None:
    nsb.collide_next(ROW, CONFLICT_RETRIES)
    started = nsb.clock.now()
    notion.write(UpdateProperties(page_id=ROW, properties={"Status": "Done"}))
    assert status(nsb) == "Done"
    patches = nsb.requests.find(method="PATCH", path=f"/v1/pages/{ROW}")
    assert [p.status for p in patches] == [409] * CONFLICT_RETRIES + [200]
    assert nsb.clock.now() - started >= 0.5, "the re-send waited"


def test_a_lasting_conflict_is_a_retryable_conflict_with_nothing_written(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    before = status(nsb)
    nsb.collide_next(ROW, CONFLICT_RETRIES + 1)
    with pytest.raises(Conflict) as caught:
        notion.write(UpdateProperties(page_id=ROW, properties={"Status": "Done"}))
    error = caught.value.to_dict()
    assert (error["error"], error["retryable"]) == ("conflict", True)
    assert "retry" in error["message"]
    assert status(nsb) == before
    # The agent's retry, as the error invites, goes through.
    notion.write(UpdateProperties(page_id=ROW, properties={"Status": "Done"}))
    assert status(nsb) == "Done"


def test_a_conflict_inside_a_split_append_re_sends_only_that_request(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    before = len(nsb.content_text(NOTES))
    blocks = [BlockInput(text=f"row {i}") for i in range(150)]
    nsb.collide_next(NOTES)
    notion.write(AppendBlocks(page_id=NOTES, blocks=blocks))
    text = nsb.content_text(NOTES)[before:]
    assert text[: len(blocks)] == [f"row {i}" for i in range(150)]
    assert len(nsb.requests.find(method="PATCH", status=409)) == 1

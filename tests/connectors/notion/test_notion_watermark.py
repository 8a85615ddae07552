"""Incremental reads see an edit of only a row's content made in the watermark's minute."""

from __future__ import annotations

import pytest

from charter.connectors.notion import AppendBlocks, BlockInput, NotionConnector, QueryDataSource, watermark
from charter.connectors.notion.watermark import SETTLE
from charter.sandboxes.notion import NotionSandbox, seed_id
from charter.schemas import ValidationError

PROJECTS = seed_id("projects")
ROW = seed_id("projects/row/0")


def start_of_a_minute(nsb: NotionSandbox) -> None:
    """Move the clock to a second past a minute, so the steps below fall within that minute."""
    nsb.clock.advance(3600 + 61 - nsb.clock.now() % 60)


def content_reads(nsb: NotionSandbox) -> int:
    return sum(e.path.endswith("/children") for e in nsb.requests.find(method="GET"))


def query(notion: NotionConnector, watermark: str) -> list[str]:
    page = notion.read(QueryDataSource(data_source_id=PROJECTS, since_watermark=watermark))
    return [row.id for row in page.items]


def test_a_content_edit_in_the_same_minute_is_returned_once(
    notion: NotionConnector, nsb: NotionSandbox
) -> None:
    start_of_a_minute(nsb)
    with nsb.lock:
        nsb.state.touch(ROW, "u")
    first = notion.read(QueryDataSource(data_source_id=PROJECTS, edited_since="2025-01-01T00:00:00Z"))
    assert first.watermark
    row_before = dict(nsb.state.pages[ROW].__dict__)
    notion.write(AppendBlocks(page_id=ROW, blocks=[BlockInput(text="only the content changed")]))
    # The attack is real: the row's edit minute and properties are as the first read saw them.
    assert nsb.state.pages[ROW].last_edited_time // 60 == row_before["last_edited_time"] // 60
    assert nsb.state.pages[ROW].properties == row_before["properties"]
    second = notion.read(QueryDataSource(data_source_id=PROJECTS, since_watermark=first.watermark))
    assert [r.id for r in second.items] == [ROW]
    assert second.watermark
    assert query(notion, second.watermark) == [], "an unchanged row is not returned again"


def test_once_the_minute_closed_no_content_is_read(notion: NotionConnector, nsb: NotionSandbox) -> None:
    start_of_a_minute(nsb)
    with nsb.lock:
        nsb.state.touch(ROW, "u")
    first = notion.read(QueryDataSource(data_source_id=PROJECTS, edited_since="2025-01-01T00:00:00Z"))
    assert first.watermark
    nsb.clock.advance(60 + SETTLE)
    closing = notion.read(QueryDataSource(data_source_id=PROJECTS, since_watermark=first.watermark))
    assert closing.items == []
    assert closing.watermark
    reads_so_far = content_reads(nsb)
    assert query(notion, closing.watermark) == []
    assert content_reads(nsb) == reads_so_far, "a closed minute costs no content reads"


def test_too_many_rows_in_an_open_minute_are_returned_again_not_missed(
    notion: NotionConnector, nsb: NotionSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watermark, "MAX_CONTENT_CHECKS", 1)
    start_of_a_minute(nsb)
    rows = [p.id for p in nsb.state.pages.values() if p.data_source_id == PROJECTS][:2]
    with nsb.lock:
        for row in rows:
            nsb.state.touch(row, "u")
    first = notion.read(QueryDataSource(data_source_id=PROJECTS, edited_since="2025-01-01T00:00:00Z"))
    assert first.watermark
    assert content_reads(nsb) == 0, "over the bound, no content is read"
    assert sorted(query(notion, first.watermark)) == sorted(rows)


def test_a_forged_watermark_is_refused(notion: NotionConnector) -> None:
    with pytest.raises(ValidationError):
        query(notion, "eyJtIjoxfQ")

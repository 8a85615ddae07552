"""The Notion benchmark at small sizes: request counts against the floor, nobody refused at 3/s."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import notion_bench  # noqa: E402
from benchmarks.figures import Report  # noqa: E402

BLOCKS, ROWS = 230, 140


@pytest.fixture(scope="module")
def report() -> Report:
    out = Report("test", {}, {})
    notion_bench.measure_notion(out, BLOCKS, ROWS, 0.0)
    return out


def test_charter_reads_the_page_at_the_floors_requests(report: Report) -> None:
    bench = notion_bench.PAGE.format(blocks=BLOCKS, latency=0.0)
    floor = report.figure(bench, notion_bench.FLOOR)
    assert floor.requests == math.ceil(BLOCKS / 100)
    assert report.figure(bench, notion_bench.CHARTER_BLOCKS).requests == floor.requests
    assert report.figure(bench, notion_bench.NAIVE_BLOCKS).requests == BLOCKS + floor.requests


def test_charter_queries_at_the_floors_requests(report: Report) -> None:
    bench = notion_bench.QUERY.format(rows=ROWS, latency=0.0)
    floor = report.figure(bench, notion_bench.FLOOR)
    assert floor.requests == math.ceil(ROWS / 100)
    assert report.figure(bench, notion_bench.CHARTER_QUERY).requests == floor.requests
    assert report.figure(bench, notion_bench.CONNECTOR_QUERY).requests == floor.requests
    naive = report.figure(bench, notion_bench.NAIVE_ROWS)
    # At 3 requests/s the naive pattern's time is set by the limit: at least (requests - burst) / 3 s.
    assert naive.seconds >= (naive.requests - 3) / 3


def test_the_notes_state_where_the_limit_is_the_bound(report: Report) -> None:
    assert any("the rate limit is the bound" in note for note in report.notes)
    assert any("connector alone" in note and "not the limit" in note for note in report.notes)

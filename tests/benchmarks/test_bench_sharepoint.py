"""The SharePoint benchmarks run end to end at a small size; request counts are checked, never times."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import sharepoint  # noqa: E402
from benchmarks.figures import Report  # noqa: E402


@pytest.fixture(scope="module")
def report() -> Report:
    out = Report("test", {}, {})
    sharepoint.measure_sharepoint(out, items=1200, latency_ms=0, rounds=1)
    return out


def test_listing_costs_what_the_floor_costs_and_the_naive_pattern_one_get_per_item(report: Report) -> None:
    bench = sharepoint.LISTING.format(items=1200, latency=0)
    floor = report.figure(bench, sharepoint.FLOOR)
    assert floor.requests == 2  # 999 + 201 at the largest page
    assert report.figure(bench, sharepoint.CONNECTOR).requests == floor.requests
    assert report.figure(bench, sharepoint.TOOLKIT.format(action="list_children")).requests == floor.requests
    assert report.figure(bench, sharepoint.NAIVE).requests == 6 + 1200


def test_named_items_go_in_batches_and_a_repeat_sync_is_one_request(report: Report) -> None:
    named = sharepoint.NAMED.format(items=100, latency=0)
    assert (
        report.figure(named, sharepoint.CONNECTOR).requests
        == report.figure(named, sharepoint.BATCH_FLOOR).requests
        == 5
    )
    assert report.figure(named, sharepoint.NAIVE_NAMED).requests == 100
    sync = sharepoint.SYNC.format(latency=0)
    assert report.figure(sync, sharepoint.CONNECTOR).requests == 1
    assert report.summary["sharepoint_repeat_sync_requests"] == 1

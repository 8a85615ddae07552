"""The Google benchmarks at tiny sizes: request counts are checked (Charter at the floor, the naive
pattern at one request per item, a repeat sync at one request), never wall time.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# `benchmarks/` sits beside the package rather than inside it; make it importable however pytest runs.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import __main__ as cli  # noqa: E402
from benchmarks import google_suite as gs  # noqa: E402
from benchmarks.figures import Report  # noqa: E402
from benchmarks.google_fetch import calendar_contest, calendar_floor, gmail_contest, gmail_floor  # noqa: E402
from benchmarks.google_rig import GoogleRig  # noqa: E402
from benchmarks.google_sync import CONNECTOR, TOOLKIT, RepeatSync, gmail_repeat_sync  # noqa: E402
from benchmarks.rig import Sample  # noqa: E402
from benchmarks.suite import Options  # noqa: E402

MESSAGES = 150
EVENTS = 120


@pytest.fixture(scope="module")
def rig() -> Iterator[GoogleRig]:
    with GoogleRig(MESSAGES, EVENTS) as google:
        yield google


@pytest.fixture(scope="module")
def report(rig: GoogleRig) -> Report:
    """One run of the Google benchmarks without injected latency (only counts are checked)."""
    report = Report("test", {}, {})
    gs.measure_google(rig, report, latency_ms=0, rounds=1)
    return report


def _bench(report: Report, prefix: str) -> str:
    return next(f.bench for f in report.figures if f.bench.startswith(prefix))


def test_charter_makes_exactly_the_floors_requests(report: Report) -> None:
    gmail, calendar = _bench(report, "4. Gmail"), _bench(report, "5. Calendar")
    # One list page of 500, then 150 message reads in two batches; 120 events fit one page.
    assert (
        report.figure(gmail, gs.GMAIL_CHARTER).requests == report.figure(gmail, gs.GMAIL_FLOOR).requests == 3
    )
    assert gmail_floor(MESSAGES) == 3
    assert report.figure(calendar, gs.CALENDAR_CHARTER).requests == 1
    assert report.figure(calendar, gs.CALENDAR_FLOOR).requests == calendar_floor(EVENTS) == 1
    assert report.summary["gmail_requests_charter"] == report.summary["gmail_requests_floor_computed"]
    assert report.summary["calendar_requests_charter"] == report.summary["calendar_requests_floor_computed"]


def test_the_naive_pattern_costs_one_list_and_one_request_per_item(report: Report) -> None:
    gmail, calendar = _bench(report, "4. Gmail"), _bench(report, "5. Calendar")
    assert report.figure(gmail, gs.GMAIL_NAIVE).requests == 1 + MESSAGES
    assert report.figure(calendar, gs.CALENDAR_NAIVE).requests == 1 + EVENTS


def test_a_repeat_sync_with_no_changes_costs_one_request(report: Report) -> None:
    for service in ("gmail", "calendar"):
        assert report.summary[f"{service}_repeat_sync_requests"] == 1
        assert report.summary[f"{service}_repeat_sync_changes"] == 0
    for prefix in ("4. Gmail", "5. Calendar"):
        rows = [f for f in report.figures if f.bench == _bench(report, prefix)]
        assert [f.requests for f in rows if f.scenario in (TOOLKIT, CONNECTOR)] == [1]


def test_gmails_repeat_sync_is_one_history_list(rig: GoogleRig) -> None:
    repeat = gmail_repeat_sync(rig, rig.toolkit())
    seen = rig.sandbox.requests.entries
    assert [(e.method, e.path) for e in seen] == [("GET", "/gmail/v1/users/me/history")]
    assert repeat.changes == 0


def test_every_way_pages_through_a_listing_larger_than_one_page(rig: GoogleRig) -> None:
    kit = rig.toolkit()
    gmail, calendar = gmail_contest(rig, kit, page=100), calendar_contest(rig, kit, page=100)
    # Two list pages of 100; the messages of each page read in one batch.
    assert (gmail.floor_requests, gmail.naive_requests) == (4, 2 + MESSAGES)
    assert (calendar.floor_requests, calendar.naive_requests) == (2, 2 + EVENTS)
    for contest in (gmail, calendar):
        for fetch, expected in (
            (contest.floor, contest.floor_requests),
            (contest.charter, contest.floor_requests),
            (contest.naive, contest.naive_requests),
        ):
            got: list[int] = []
            assert rig.measure(lambda f=fetch, into=got: into.append(f())).requests == expected
            assert got == [contest.items]


def test_each_contest_prints_its_three_targets_and_the_quota_setting(report: Report) -> None:
    notes = "\n".join(report.notes)
    for service in ("Gmail", "Calendar"):
        assert f"{service}, " in notes
    assert notes.count("within 1.2x of the floor") == 2
    assert notes.count("at least 10x faster than naive") == 2
    assert notes.count("a repeat sync with no changes costs 1 request") == 2
    assert "quota was OFF" in notes
    for bench in {f.bench for f in report.figures}:
        assert sum(f.baseline for f in report.figures if f.bench == bench) == 1


def test_the_run_leaves_the_sandbox_without_latency_and_with_its_quota(
    rig: GoogleRig, report: Report
) -> None:
    assert rig.sandbox.quota.enabled
    assert rig.sandbox.faults.decide("GET", "/gmail/v1/users/me/profile").latency == 0


_CONTEST = gs.Contest("Gmail", 1000, 12, 1002, lambda: 0, lambda: 0, lambda: 0)


def _outcome(charter_seconds: float, charter_requests: int, problem: str | None) -> gs.Outcome:
    return gs.Outcome(
        contest=_CONTEST,
        floor=Sample(1.0, 12, 0, 0),
        charter=Sample(charter_seconds, charter_requests, 0, 0),
        naive=Sample(20.0, 1002, 0, 0),
        repeat=RepeatSync(CONNECTOR if problem else TOOLKIT, Sample(0.02, 1, 0, 0), 0, problem),
    )


def test_a_missed_target_is_printed_as_missed() -> None:
    met, missed = Report("t", {}, {}), Report("t", {}, {})
    gs.summarise(met, _outcome(1.1, 12, None))
    gs.summarise(missed, _outcome(2.5, 12, "the cursor was refused"))
    assert "MISSED" not in "\n".join(met.notes)
    lines = [line for line in missed.notes if "MISSED" in line]
    assert any("within 1.2x of the floor's: 2.50x" in line for line in lines)
    assert any("8.0x" in line for line in lines)  # 20 s / 2.5 s: short of 10x
    assert any("the cursor was refused" in line for line in lines)
    # More requests than the floor misses the target even when the time is close.
    slow = Report("t", {}, {})
    gs.summarise(slow, _outcome(1.0, 13, None))
    assert any("MISSED" in line and "floor" in line for line in slow.notes)


def test_the_command_line_selects_and_sizes_the_google_benchmarks() -> None:
    options, _, _ = cli.parse_options(["--only", "google", "--messages", "50", "--events", "20"])
    assert (options.only, options.messages, options.events) == ("google", 50, 20)
    assert options.command() == ".venv/bin/python -m benchmarks --messages 50 --events 20 --only google"
    quick, _, _ = cli.parse_options(["--quick", "--only", "google"])
    assert quick.command() == ".venv/bin/python -m benchmarks --quick --only google"
    assert (quick.messages, quick.events) == (Options.quick().messages, Options.quick().events)
    with pytest.raises(SystemExit):
        cli.parse_options(["--events", "0"])
    with pytest.raises(SystemExit):
        cli.parse_options(["--only", "jira"])


def test_the_connector_alone_makes_the_floors_requests_and_its_share_is_reported(report: Report) -> None:
    for prefix, service in (("4. Gmail", "Gmail"), ("5. Calendar", "Calendar")):
        bench, floor = _bench(report, prefix), gs.SCENARIOS[service][0]
        assert report.figure(bench, gs.CONNECTOR).requests == report.figure(bench, floor).requests
    shares = [note for note in report.notes if "against the floor, Charter's connector" in note]
    assert len(shares) == 2
    assert "calendar_connector_vs_floor" in report.summary


def test_the_calendar_listing_can_be_timed_again_at_another_latency(rig: GoogleRig) -> None:
    contest = calendar_contest(rig, rig.toolkit())
    try:
        phrase = gs._at_latency(rig, contest, 1, rounds=1)
    finally:
        rig.set_latency(0)
    assert phrase.endswith("x at 1 ms")

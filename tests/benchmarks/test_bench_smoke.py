"""The benchmarks run end to end at tiny sizes, so they cannot rot; figures are checked, never timed."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

# `benchmarks/` sits beside the package rather than inside it; make it importable however pytest runs.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import __main__ as cli  # noqa: E402
from benchmarks import overhead, pagination, repeat_reads  # noqa: E402
from benchmarks.figures import Report  # noqa: E402
from benchmarks.suite import OVERHEAD, Options, run  # noqa: E402

QUICK = Options.quick()


@pytest.fixture(scope="module")
def report() -> Report:
    return run(QUICK)


def _bench(report: Report, prefix: str) -> str:
    return next(f.bench for f in report.figures if f.bench.startswith(prefix))


def test_each_overhead_contender_makes_one_request_per_read(report: Report) -> None:
    for bench, calls in ((OVERHEAD, QUICK.calls), (_bench(report, "1. per-call overhead, 20"), 3)):
        raw = report.figure(bench, overhead.RAW)
        connector = report.figure(bench, overhead.CONNECTOR)
        toolkit = report.figure(bench, overhead.TOOLKIT)
        assert [raw.requests, connector.requests, toolkit.requests] == [calls] * 3
        assert raw.not_modified == 0
        assert raw.body_bytes > 0
        # After the warm-up read, Charter's repeats of the same page are conditional.
        assert connector.not_modified == connector.requests
        assert toolkit.not_modified == toolkit.requests
    assert "runtime_overhead_ms" in report.summary
    assert report.summary["round_trip_ms"] > 0


def test_repeat_read_is_answered_with_304s_and_the_naive_one_is_not(report: Report) -> None:
    bench = _bench(report, "2.")
    first = report.figure(bench, repeat_reads.FIRST)
    repeat = report.figure(bench, repeat_reads.REPEAT)
    naive = report.figure(bench, repeat_reads.NAIVE_REPEAT)
    # acme/web's 45 issues fit one page at the connector's default size (GitHub's maximum, 100);
    # PyGithub's default of 30 needs two.
    assert first.requests == 1
    assert naive.requests == 2
    assert first.not_modified == 0
    assert repeat.requests == repeat.not_modified == 1
    assert repeat.body_bytes == 0
    assert naive.not_modified == 0
    assert naive.body_bytes > 0
    assert report.summary["repeat_read_rate_limited"] == 0


def test_largest_page_size_reaches_the_request_floor(report: Report) -> None:
    bench = _bench(report, "3.")
    assert report.figure(bench, pagination.FLOOR).requests == pagination.floor(QUICK.backlog) == 2
    assert report.figure(bench, pagination.DEFAULT).requests == pagination.floor(QUICK.backlog)
    assert report.figure(bench, pagination.NAIVE).requests == math.ceil(QUICK.backlog / 30)


def test_every_benchmark_has_one_baseline_and_finite_ratios(report: Report) -> None:
    benches = {f.bench for f in report.figures}
    assert len(benches) == 11  # GitHub 3 (overhead twice), Google 2, SharePoint 3, Notion 2
    for bench in benches:
        assert sum(f.baseline for f in report.figures if f.bench == bench) == 1
    for fig in report.figures:
        assert fig.seconds > 0
        assert math.isfinite(fig.ratio)
        assert fig.ratio > 0
        assert fig.ratio == 1.0 or not fig.baseline


def test_table_names_every_scenario_and_the_command_that_reproduces_it(report: Report) -> None:
    table = report.to_table()
    for fig in report.figures:
        assert fig.scenario in table
    assert table.rstrip().endswith("reproduce: .venv/bin/python -m benchmarks --quick")
    assert "Agent runtime overhead per call" in table


def test_json_output_carries_figures_summary_and_command(
    report: Report, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "run", lambda options: report)
    assert cli.main(["--quick", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["command"] == ".venv/bin/python -m benchmarks --quick"
    assert len(data["figures"]) == len(report.figures)
    assert {"requests", "not_modified", "seconds", "ratio", "per_run_ms", "runs"} <= data["figures"][0].keys()
    assert data["summary"]["pages_per_page_100"] == 2
    assert data["environment"]["database"]


def test_command_line_sizes_are_validated_and_echoed_in_the_command() -> None:
    assert cli.parse_options(["--quick", "--json"]) == (QUICK, True, False)
    options, as_json, _ = cli.parse_options(["--calls", "40", "--latency-ms", "5"])
    assert not as_json
    assert options.command() == ".venv/bin/python -m benchmarks --calls 40 --latency-ms 5"
    assert Options().command() == ".venv/bin/python -m benchmarks"
    with pytest.raises(SystemExit):
        cli.parse_options(["--backlog", "0"])

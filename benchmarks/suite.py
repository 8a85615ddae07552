"""The whole benchmark run: options, the three benchmarks in order, and the report they make."""

from __future__ import annotations

import os
import platform
import shlex
from dataclasses import asdict, dataclass, fields, replace

from benchmarks.figures import Report
from benchmarks.google_rig import GoogleRig
from benchmarks.google_suite import measure_google
from benchmarks.overhead import Overhead, measure_overhead
from benchmarks.pagination import DEFAULT, FLOOR, NAIVE, floor, measure_pagination
from benchmarks.repeat_reads import FIRST, NAIVE_REPEAT, REPEAT, measure_repeat_reads
from benchmarks.rig import GitHubRig
from benchmarks.sharepoint import measure_sharepoint
from benchmarks.target_suite import TargetSizes, measure_targets
from charter.auth.home import CharterHome

OVERHEAD = "1. per-call overhead, 0 ms latency"
OVERHEAD_RTT = "1. per-call overhead, {latency:g} ms latency"
REPEAT_READS = "2. repeat read of acme/web's open issues, {latency:g} ms latency"
PAGINATION = "3. listing {issues} open issues of acme/backlog, {latency:g} ms latency"


@dataclass(frozen=True)
class Options:
    """Sizes of one run; the defaults are the ones the README's figures come from."""

    calls: int = 200
    latency_calls: int = 50
    rounds: int = 5
    latency_ms: float = 20.0
    backlog: int = 1000
    messages: int = 1000
    events: int = 1000
    only: str | None = None
    library: int = 1000
    notion_blocks: int = 2000
    notion_rows: int = 1000
    # The targets spawn sandboxes and Charter processes: a minute or more, so not in the smoke run.
    targets: bool = True

    @classmethod
    def quick(cls) -> Options:
        """Tiny sizes that still exercise every path (for the smoke test)."""
        return cls(
            calls=6,
            latency_calls=3,
            rounds=1,
            backlog=150,
            messages=60,
            events=30,
            library=120,
            notion_blocks=250,
            notion_rows=120,
            targets=False,
        )

    def command(self) -> str:
        """The command line that reproduces a run with these options."""
        args = [".venv/bin/python", "-m", "benchmarks"]
        if replace(self, only=None) == Options.quick():
            return shlex.join([*args, "--quick", *(["--only", self.only] if self.only else [])])
        default = Options()
        for f in fields(self):
            if f.name == "targets":
                continue  # no flag: `--only targets` runs them alone, `--quick` leaves them out
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                text = f"{value:g}" if isinstance(value, float) else str(value)
                args += [f"--{f.name.replace('_', '-')}", text]
        return shlex.join(args)


def run(options: Options) -> Report:
    """Run the GitHub benchmarks, then the Google ones (or only those `options.only` names)."""
    report = Report(options.command(), asdict(options), {})
    if options.only in (None, "github"):
        run_github(report, options)
    if options.only in (None, "google"):
        with GoogleRig(options.messages, options.events) as google:
            report.environment = report.environment or environment(google.home)
            # The naive reads dominate this run's time; three rounds give the others a fair median.
            measure_google(google, report, options.latency_ms, min(options.rounds, 3))
    if options.only in (None, "sharepoint"):
        measure_sharepoint(report, options.library, options.latency_ms, min(options.rounds, 3))
    if options.only in (None, "notion"):
        from benchmarks.notion_bench import measure_notion

        measure_notion(report, options.notion_blocks, options.notion_rows, options.latency_ms)
    if options.only == "targets" or (options.only is None and options.targets):
        sizes = TargetSizes.quick() if replace(options, only=None) == Options.quick() else TargetSizes()
        load = os.getloadavg()[0]
        report.targets = measure_targets(sizes, options.latency_ms)
        report.environment = report.environment or environment(None)
        report.environment["load_average"] = f"{load:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    return report


def run_github(report: Report, options: Options) -> None:
    """Run the three GitHub benchmarks against one in-process GitHub sandbox and collect their figures."""
    latency = options.latency_ms / 1000
    with GitHubRig(options.backlog) as rig:
        report.environment = environment(rig.home)
        rig.set_latency(0)
        bare = measure_overhead(rig, OVERHEAD, options.calls, options.rounds)
        rig.set_latency(latency)
        slow = measure_overhead(
            rig, OVERHEAD_RTT.format(latency=options.latency_ms), options.latency_calls, options.rounds
        )
        report.figures += [*bare.figures, *slow.figures]
        report.figures += measure_repeat_reads(
            rig, REPEAT_READS.format(latency=options.latency_ms), options.rounds
        )
        report.figures += measure_pagination(
            rig, PAGINATION.format(issues=options.backlog, latency=options.latency_ms)
        )
        rig.set_latency(0)
    summarise(report, options, bare, slow)


def environment(home: CharterHome | None) -> dict[str, object]:
    """What the figures depend on besides the code: interpreter, machine, database."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "machine": platform.machine(),
        "cpus": os.cpu_count() or 0,
        "database": home.engine.url.get_backend_name() if home else "sqlite",
    }


def summarise(report: Report, options: Options, bare: Overhead, slow: Overhead) -> None:
    """The headline numbers, and one line of prose for each benchmark."""
    latency = options.latency_ms
    report.summary.update(
        runtime_overhead_ms=bare.runtime_ms,
        charter_overhead_ms=bare.charter_ms,
        runtime_overhead_ms_with_latency=slow.runtime_ms,
        round_trip_ms=slow.raw_ms,
        runtime_overhead_share_of_round_trip=bare.runtime_ms / slow.raw_ms,
    )
    report.notes += [
        f"Agent runtime overhead per call (Toolkit - connector): {bare.runtime_ms:.2f} ms at 0 ms "
        f"latency, {slow.runtime_ms:.2f} ms at {latency:g} ms; {bare.runtime_ms / slow.raw_ms:.0%} of "
        f"one {slow.raw_ms:.1f} ms round trip (raw PyGithub at {latency:g} ms).",
        f"Charter overall (Toolkit - raw PyGithub): {bare.charter_ms:+.2f} ms per call at 0 ms latency "
        "(the connector's repeat reads are conditional: 304s).",
    ]
    _summarise_repeat_reads(report, REPEAT_READS.format(latency=latency))
    _summarise_pagination(report, PAGINATION.format(issues=options.backlog, latency=latency), options)


def _summarise_repeat_reads(report: Report, bench: str) -> None:
    first, repeat = report.figure(bench, FIRST), report.figure(bench, REPEAT)
    naive = report.figure(bench, NAIVE_REPEAT)
    runs = repeat.runs
    counted = (repeat.requests - repeat.not_modified) // runs
    report.summary.update(
        repeat_read_requests=repeat.requests // runs,
        repeat_read_not_modified=repeat.not_modified // runs,
        repeat_read_rate_limited=counted,
        repeat_read_ratio_vs_naive=repeat.ratio,
    )
    report.notes.append(
        f"Repeat read (per listing): {repeat.not_modified // runs} of {repeat.requests // runs} requests "
        f"answered 304 (first read {first.requests // runs}); {counted} counted against GitHub's rate "
        f"limit, {_kb(repeat.body_bytes // runs)} received; the naive client: {naive.requests // runs} "
        f"counted, {_kb(naive.body_bytes // runs)}; {repeat.ratio:.2f}x its time."
    )


def _summarise_pagination(report: Report, bench: str, options: Options) -> None:
    by_page = {name: report.figure(bench, name).requests for name in (NAIVE, DEFAULT, FLOOR)}
    report.summary.update(
        pages_naive=by_page[NAIVE],
        pages_default=by_page[DEFAULT],
        pages_per_page_100=by_page[FLOOR],
        pages_floor=floor(options.backlog),
    )
    report.notes.append(
        f"Pagination: {by_page[FLOOR]} requests at per_page=100 (floor {floor(options.backlog)}) vs "
        f"{by_page[DEFAULT]} at the tool's default page size and {by_page[NAIVE]} for naive PyGithub."
    )


def _kb(count: int) -> str:
    return f"{count / 1024:.1f} kB"

"""`python -m benchmarks`: run the benchmarks and print a table (or JSON with --json)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace

from benchmarks.readme import README, write_readme
from benchmarks.suite import Options, run


def parse_options(argv: Sequence[str] | None = None) -> tuple[Options, bool, bool]:
    """The run's options, whether to print JSON and whether to write README's table."""
    default = Options()
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of Charter's GitHub, Gmail and Calendar slices against the in-process "
        "sandboxes; figures are ratios against a baseline measured in the same run.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds (smoke test)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--calls", type=int, default=default.calls, help="reads per client, 0 ms latency")
    parser.add_argument(
        "--latency-calls", type=int, default=default.latency_calls, help="reads per client with latency"
    )
    parser.add_argument("--rounds", type=int, default=default.rounds, help="interleaved rounds per client")
    parser.add_argument(
        "--latency-ms", type=float, default=default.latency_ms, help="injected latency per request"
    )
    parser.add_argument(
        "--backlog", type=int, default=default.backlog, help="open issues in the pagination repository"
    )
    parser.add_argument("--messages", type=int, default=default.messages, help="Gmail messages to fetch")
    parser.add_argument("--events", type=int, default=default.events, help="Calendar events to fetch")
    parser.add_argument("--library", type=int, default=default.library, help="files in the SharePoint folder")
    parser.add_argument(
        "--only",
        choices=("github", "google", "sharepoint", "notion", "targets"),
        help="run only these benchmarks",
    )
    parser.add_argument(
        "--readme", action="store_true", help="write the targets table into README.md's performance section"
    )
    args = parser.parse_args(argv)
    if args.quick:
        return replace(Options.quick(), only=args.only), args.json, args.readme
    for name in ("calls", "latency_calls", "rounds", "backlog", "messages", "events", "library"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.latency_ms < 0:
        parser.error("--latency-ms must be 0 or more")
    options = Options(
        args.calls,
        args.latency_calls,
        args.rounds,
        args.latency_ms,
        args.backlog,
        args.messages,
        args.events,
        args.only,
        args.library,
    )
    return options, args.json, args.readme


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and print their figures."""
    options, as_json, readme = parse_options(argv)
    if not as_json:
        print(f"running: {options.command()}", file=sys.stderr, flush=True)
    report = run(options)
    print(report.to_json() if as_json else report.to_table())
    if readme:
        write_readme(README, report)
        print(f"wrote the targets table into {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

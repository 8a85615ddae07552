"""README's performance table, written from a bench run (never typed by hand)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.figures import Report
from benchmarks.targets import table

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN = "<!-- bench:targets (written by `python -m benchmarks --readme`; do not edit by hand) -->"
END = "<!-- /bench:targets -->"


def targets_block(report: Report) -> str:
    """The generated part: how many targets were met, their table, and the command that measured them."""
    met = sum(t.met for t in report.targets)
    env = report.environment
    where = f"Python {env.get('python', '?')}, {env.get('cpus', '?')} CPUs"
    if "load_average" in env:
        where += f", load average {env['load_average']}"
    lines = [
        BEGIN,
        f"{met} of {len(report.targets)} targets met in one run of `{report.command}` ({where}):",
        "",
        *table(report.targets),
        END,
    ]
    return "\n".join(lines)


def write_readme(path: Path, report: Report) -> None:
    """Replace the block between the markers in `path` with this run's table."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise RuntimeError(f"{path} has no {BEGIN!r} … {END!r} block to write the targets into")
    path.write_text(text[:start] + targets_block(report) + text[end + len(END) :], encoding="utf-8")

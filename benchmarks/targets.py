"""The performance targets: each measured as a ratio against a floor in the same run, met or missed.

Floors are what the task costs at best, measured beside Charter: hand-written httpx clients making
the fewest requests the API allows (largest pages, batches), a bare SQLite commit, Python's start.
Sandboxes run in a process of their own (`benchmarks.remote`), so only the client is on the clock.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Target:
    """One target of the performance issue: what was measured, the limit, and against what floor."""

    item: int
    name: str
    measured: float
    limit: float
    unit: str
    floor: str
    higher_is_better: bool = False
    note: str = ""

    @property
    def met(self) -> bool:
        if math.isnan(self.measured):
            return False
        return self.measured >= self.limit if self.higher_is_better else self.measured <= self.limit

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "met": self.met}


def fmt(value: float, unit: str) -> str:
    """A figure in its unit, e.g. `1.12x`, `0.41 ms`, `5,230/s`."""
    if math.isnan(value):
        return "n/a"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit in ("requests", "count"):
        return f"{value:.0f}"
    if unit == "us":
        return f"{value:.1f} us"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:.2f} {unit}"


def table(targets: list[Target]) -> list[str]:
    """The targets as Markdown table rows (the README's performance section is this, verbatim)."""
    lines = [
        "| # | target | measured | limit | | floor (what the ratio is against) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for t in targets:
        limit = ("≥ " if t.higher_is_better else "≤ ") + fmt(t.limit, t.unit)
        verdict = "met" if t.met else "missed"
        floor = t.floor + (f" — {t.note}" if t.note else "")
        lines.append(f"| {t.item} | {t.name} | {fmt(t.measured, t.unit)} | {limit} | {verdict} | {floor} |")
    return lines

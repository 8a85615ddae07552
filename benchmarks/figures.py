"""Figures as the benchmarks report them: rows against a baseline, a text table and JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from benchmarks.rig import Sample
from benchmarks.targets import Target, table


@dataclass(frozen=True)
class Figure:
    """One scenario's cost, and its wall time as a ratio of its benchmark's baseline."""

    bench: str
    scenario: str
    runs: int
    requests: int
    not_modified: int
    body_bytes: int
    seconds: float
    ratio: float
    baseline: bool = False

    @property
    def per_run_ms(self) -> float:
        """Wall time per run (one read, or one whole listing), in milliseconds."""
        return self.seconds * 1000 / max(1, self.runs)


def against_baseline(bench: str, baseline: str, rows: Sequence[tuple[str, Sample, int]]) -> list[Figure]:
    """Figures for `rows` (scenario, sample, runs), each timed as a ratio of the row named `baseline`."""
    base = next(sample for name, sample, _ in rows if name == baseline)
    return [
        Figure(
            bench=bench,
            scenario=name,
            runs=runs,
            requests=sample.requests,
            not_modified=sample.not_modified,
            body_bytes=sample.body_bytes,
            seconds=sample.seconds,
            ratio=sample.seconds / base.seconds if base.seconds > 0 else float("nan"),
            baseline=name == baseline,
        )
        for name, sample, runs in rows
    ]


@dataclass
class Report:
    """Every figure of one run, the headline numbers drawn from them, and how to reproduce them."""

    command: str
    options: dict[str, object]
    environment: dict[str, object]
    figures: list[Figure] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)

    def figure(self, bench: str, scenario: str) -> Figure:
        """The figure of one scenario (KeyError when the run has none by that name)."""
        for fig in self.figures:
            if fig.bench == bench and fig.scenario == scenario:
                return fig
        raise KeyError(f"no figure for {bench} / {scenario}")

    def to_json(self) -> str:
        """The whole report as JSON, for machines."""
        data = {
            "command": self.command,
            "options": self.options,
            "environment": self.environment,
            "figures": [{**asdict(f), "per_run_ms": f.per_run_ms} for f in self.figures],
            "summary": self.summary,
            "notes": self.notes,
            "targets": [t.as_dict() for t in self.targets],
        }
        return json.dumps(data, indent=2)

    def to_table(self) -> str:
        """A compact text table: scenario, HTTP requests, 304s, bytes received, wall time, ratio."""
        header = ("scenario", "requests", "304s", "received", "wall", "per run", "ratio")
        lines: list[str] = []
        bench = None
        for fig in self.figures:
            if fig.bench != bench:
                bench = fig.bench
                lines += ["", bench, _row(header), _row(tuple("-" * len(h) for h in header))]
            name = fig.scenario + (" [baseline]" if fig.baseline else "")
            lines.append(
                _row(
                    (
                        name,
                        str(fig.requests),
                        str(fig.not_modified),
                        _size(fig.body_bytes),
                        _duration(fig.seconds),
                        f"{fig.per_run_ms:.2f} ms" if fig.runs > 1 else "",
                        f"{fig.ratio:.2f}x",
                    )
                )
            )
        lines += ["", *self.notes]
        if self.targets:
            met = sum(t.met for t in self.targets)
            lines += ["", f"targets: {met} of {len(self.targets)} met", *table(self.targets)]
        lines += ["", f"reproduce: {self.command}"]
        return "\n".join(lines).lstrip("\n")


WIDTHS = (50, 9, 6, 10, 10, 10, 7)


def _row(cells: tuple[str, ...]) -> str:
    first, *rest = cells
    return "  " + first.ljust(WIDTHS[0]) + "".join(c.rjust(w) for c, w in zip(rest, WIDTHS[1:], strict=True))


def _duration(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def _size(count: int) -> str:
    return f"{count / 1024:.1f} kB" if count < 1024 * 1024 else f"{count / 1024 / 1024:.1f} MB"

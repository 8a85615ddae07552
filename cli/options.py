"""Parsing of command-line values: comma lists, durations (`8h`, `1h30m`) and constraints (`repos=a/b`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from charter.cli.output import UsageProblem

_DURATION = re.compile(r"(\d+)\s*([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def split_csv(values: Iterable[str] | None) -> list[str]:
    """Values given as repeated options and/or comma lists, blanks dropped, order kept, no duplicates."""
    out: list[str] = []
    for value in values or ():
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return list(dict.fromkeys(out))


def parse_duration(text: str) -> timedelta:
    """`90s`, `30m`, `8h`, `2d`, `1w` or combinations such as `1h30m`."""
    compact = text.strip().lower().replace(" ", "")
    if not compact or _DURATION.sub("", compact):
        raise UsageProblem(f"cannot read the duration {text!r}; write it like 30m, 8h, 2d or 1h30m")
    total = timedelta()
    for amount, unit in _DURATION.findall(compact):
        total += timedelta(**{_UNITS[unit]: int(amount)})
    if total <= timedelta(0):
        raise UsageProblem(f"the duration {text!r} must be longer than zero")
    return total


def parse_constraints(values: Iterable[str] | None) -> dict[str, list[str]]:
    """`name=value[,value...]` options into a constraint map; repeated names add values."""
    out: dict[str, list[str]] = {}
    for raw in values or ():
        name, sep, rest = raw.partition("=")
        allowed = split_csv([rest])
        if not sep or not name.strip() or not allowed:
            raise UsageProblem(
                f"cannot read the constraint {raw!r}; write it as name=value[,value], e.g. repos=acme/web"
            )
        out.setdefault(name.strip(), []).extend(v for v in allowed if v not in out.get(name.strip(), []))
    return out


def format_duration(delta: timedelta) -> str:
    """A duration the way `parse_duration` reads it, largest units first."""
    seconds = int(delta.total_seconds())
    parts = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


__all__ = ["format_duration", "parse_constraints", "parse_duration", "split_csv"]

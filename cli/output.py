"""How the `charter` command talks: rich output on stdout, one-line coded errors on stderr."""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer

from charter.auth.redaction import redact
from charter.schemas import CharterError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    # Made on first use (PEP 562): a command that prints no table (`charter mcp serve`) never loads rich.
    console: Console

_made: dict[str, Console] = {}


def __getattr__(name: str) -> object:
    if name != "console":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if "console" not in _made:
        from rich.console import Console

        # Console() resolves sys.stdout at each write, so output captured by tests or pipes lands right.
        _made["console"] = Console(highlight=False)
    return _made["console"]


class AuditChainBroken(CharterError):
    """`charter audit verify` found an edited, deleted or reordered entry."""

    code: ClassVar[str] = "audit_broken"


class UsageProblem(CharterError):
    """The command line itself is wrong: an unknown option, a missing argument, a bad value."""

    code: ClassVar[str] = "usage_error"


class Cancelled(CharterError):
    """The person declined a confirmation, or input ended before an answer."""

    code: ClassVar[str] = "aborted"


class InternalError(CharterError):
    """Something Charter did not expect; the message names the exception type only."""

    code: ClassVar[str] = "internal_error"


def one_line(text: str) -> str:
    """`text` with its whitespace runs (newlines included) collapsed, redacted of anything secret-looking."""
    return " ".join(redact(text).split())


# Grant errors are written for the agent holding the grant ("ask the person for a new grant"); at
# the terminal the person is the reader, so the remedy is theirs to run.
_AGENT_REMEDY = re.compile(r";? ?ask (?:the person )?for (?:a new|a valid) grant( or a larger budget)?\.?$")


def for_the_person(message: str) -> str:
    """An agent-facing grant message with the remedy the person at the terminal can run instead."""

    named = "`charter grant create`" in message

    def remedy(found: re.Match[str]) -> str:
        larger = " with a larger --budget" if found[1] else ""
        return f"; issue a new grant{larger}" + ("" if named else " with `charter grant create`")

    return _AGENT_REMEDY.sub(remedy, message)


def error_line(exc: CharterError) -> str:
    """The single line an error is reported with: `error[<code>]: <message>`."""
    return f"error[{exc.code}]: {one_line(for_the_person(exc.message))}"


def print_error(exc: CharterError) -> None:
    """Write the error line on stderr, unwrapped, whatever the terminal width."""
    sys.stderr.write(error_line(exc) + "\n")
    sys.stderr.flush()


def print_secret_line(value: str) -> None:
    """Write `value` alone on a plain line of stdout: no wrapping or styling, so it can be piped."""
    sys.stdout.write(value + "\n")
    sys.stdout.flush()


def age(moment: datetime, now: datetime | None = None) -> str:
    """How long ago `moment` was, compactly: `12s`, `5m`, `3h`, `2d`."""
    # Imported here: charter.schemas.resources builds pydantic models, which `charter --help` does not need.
    from charter.schemas import utcnow

    seconds = max(int(((now or utcnow()) - moment).total_seconds()), 0)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def until(moment: datetime, now: datetime | None = None) -> str:
    """How long until `moment` (`in 8h`, `in 1d 4h`, `in 59m 30s`), or `expired`.

    Rounded to the minute from an hour up, and two units at most, so a grant issued for 8h reads
    `in 8h` rather than the `7h` a floor would give a moment later.
    """
    from charter.schemas import utcnow

    left = (moment - (now or utcnow())).total_seconds()
    if left <= 0:
        return "expired"
    seconds = round(left / 60) * 60 if left >= 3600 else max(round(left), 1)
    parts: list[str] = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        if seconds >= size and len(parts) < 2:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
        elif parts:
            break  # `1d 0h 5m` reads as `1d`: the second unit is the one next to the first
    return "in " + " ".join(parts)


def excerpt(text: str, width: int = 60) -> str:
    """The first line of `text`, cut to `width` characters."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= width else first[: width - 1] + "…"


def make_table(*headers: str, ids: int = 1) -> Table:
    """A light table whose first `ids` columns (identifiers to copy) are never wrapped or cut."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD)
    for index, header in enumerate(headers):
        if index < ids:
            table.add_column(header, no_wrap=True, min_width=8)
        else:
            table.add_column(header)
    return table


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (one array of objects) for scripts instead of a table.")
]
# Long provider scope URLs are shown by their last part: `gmail.compose` for Google's.
_SCOPE_URL_PREFIXES = ("https://", "http://")


def json_data(value: object) -> object:
    """`value` as plain JSON data: models and dataclasses as objects, times in ISO 8601, sets sorted."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return json_data(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_data(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(json_data(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, list | tuple):
        return [json_data(v) for v in value]
    return value


def print_json(value: object) -> None:
    """Write `value` as indented JSON on stdout, unstyled: what every `--json` prints."""
    sys.stdout.write(json.dumps(json_data(value), indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def short_scope(scope: str) -> str:
    """A scope as a person reads it: `gmail.compose` for https://www.googleapis.com/auth/gmail.compose."""
    if scope.startswith(_SCOPE_URL_PREFIXES):
        return scope.rstrip("/").rsplit("/", 1)[-1] or scope
    return scope


def short_scopes(scopes: Iterable[str]) -> str:
    """Scopes, shortened and sorted, comma-separated; `none` when there are none."""
    return ", ".join(sorted(short_scope(s) for s in scopes)) or "none"


def plain(text: str) -> str:
    """Text shown as is, never read as rich markup (it may come from a service or an agent)."""
    from rich.markup import escape

    return escape(text)


__all__ = [
    "AuditChainBroken",
    "Cancelled",
    "InternalError",
    "JsonOption",
    "UsageProblem",
    "age",
    "console",
    "error_line",
    "excerpt",
    "json_data",
    "make_table",
    "one_line",
    "plain",
    "print_error",
    "print_json",
    "print_secret_line",
    "short_scope",
    "short_scopes",
    "until",
]

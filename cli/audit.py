"""`charter audit [tail|export|verify]`: read the hash-chained audit log and check that it is intact."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pydantic
import typer
from rich import box
from rich.table import Table

from charter.auth.audit import AuditLog, VerifyReport
from charter.cli.context import local
from charter.cli.options import parse_duration
from charter.cli.output import AuditChainBroken, UsageProblem, console, excerpt, plain
from charter.schemas import AuditEvent, utcnow

audit_app = typer.Typer(help="Read and verify the audit log.", no_args_is_help=True)

_OUTCOME_STYLE = {"ok": "green", "paused": "yellow", "denied": "red", "error": "red"}


def audit_table(events: Sequence[AuditEvent]) -> Table:
    """Audit entries as a table: who did what, what came of it, and the details under the action."""
    table = Table("#", "time", "who", "action", "outcome", box=box.SIMPLE_HEAD)
    for e in events:
        style = _OUTCOME_STYLE.get(e.outcome, "")
        detail = _detail(e)
        action = plain(e.action) + (f"\n[dim]{plain(detail)}[/]" if detail else "")
        table.add_row(str(e.seq), f"{e.at:%H:%M:%S}", _who(e), action, f"[{style}]{e.outcome}[/]")
    return table


def _who(e: AuditEvent) -> str:
    if e.actor == "person":
        return f"[bold]person[/] {plain(e.approver or e.subject)}"
    return f"agent {plain(e.agent or '?')}"


def _detail(e: AuditEvent) -> str:
    parts: list[str] = []
    if e.error_code:
        parts.append(e.error_code)
    if e.approval_id:
        parts.append(
            e.approval_id + (f" approved by {e.approver}" if e.approver and e.actor == "agent" else "")
        )
    if e.action.startswith("grant.") and e.grant_id:
        parts.append(e.grant_id)
    if e.result_ref and not e.result_ref.startswith("error:"):
        parts.append(e.result_ref)
    if e.reasons and (e.outcome != "ok" or e.actor == "person"):
        parts.append(excerpt(e.reasons[0], 90))
    return " · ".join(parts)


def check(log: AuditLog, against: Path | None = None) -> VerifyReport:
    """The log's verification (against what left through a sink), raising `AuditChainBroken`."""
    if against is not None and str(against).startswith("file:"):
        against = Path(str(against).removeprefix("file:"))  # the sink's own name works too
    report = log.verify() if against is None else log.verify_against(against)
    if not report.ok:
        where = f"entry seq {report.seq}" if report.seq is not None else "the log"
        raise AuditChainBroken(
            f"audit log {log.path} is broken at {where}: {report.problem}. "
            f"{report.entries} entries before it are intact; keep the file as evidence."
        )
    return report


def readable(log: AuditLog, read: Callable[[], Iterable[AuditEvent]]) -> Iterator[AuditEvent]:
    """Entries as `read` gives them; a line that is not an entry is a typed error, not a traceback."""
    try:
        yield from read()
    except (ValueError, pydantic.ValidationError):
        raise AuditChainBroken(
            f"audit log {log.path} holds a line that is not an audit entry; run `charter audit verify` "
            "to find it, and keep the file as evidence"
        ) from None


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (UTC unless it says otherwise), or a duration ago such as `2h` or `7d`."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        if not any(c.isdigit() for c in text) or any(c in text for c in "-:T"):
            raise UsageProblem(
                f"cannot read the time {text!r}; write it like 2026-12-03, 2026-12-03T09:30 or 2h (ago)"
            ) from None
        return utcnow() - parse_duration(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def in_range(
    events: Iterable[AuditEvent], since: datetime | None, until: datetime | None
) -> Iterable[AuditEvent]:
    """The events at or after `since` and before `until`."""
    return (e for e in events if (since is None or e.at >= since) and (until is None or e.at < until))


# A cell a spreadsheet would run as a formula; an agent can put such text in a reason.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(events: Iterable[AuditEvent]) -> str:
    """Events as CSV with a header row; cells that a spreadsheet would evaluate are quoted with `'`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(AuditEvent.model_fields)
    writer.writerow(columns)
    for event in events:
        data = event.model_dump(mode="json")
        cells = [" | ".join(v) if isinstance(v, list) else "" if v is None else str(v) for v in data.values()]
        writer.writerow(["'" + c if c.startswith(_FORMULA_START) else c for c in cells])
    return out.getvalue()


@audit_app.command("tail")
def tail_command(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("-n", "--lines", min=1, help="How many of the latest entries.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as a JSON array.")] = False,
) -> None:
    """Show the latest audit entries, oldest first."""
    log = local(ctx).audit
    events = list(readable(log, lambda: log.tail(n)))
    if as_json:
        sys.stdout.write(json.dumps([e.model_dump(mode="json") for e in events], indent=2) + "\n")
        return
    if not events:
        console.print(f"The audit log is empty ({log.path}).")
        return
    console.print(audit_table(events))


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


_TIME_HELP = "ISO 8601 (UTC unless it says otherwise) or a duration ago such as 2h or 7d."


@audit_app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl: the entries as stored; csv.")] = (
        ExportFormat.jsonl
    ),
    since: Annotated[str | None, typer.Option(help=f"From this time on. {_TIME_HELP}")] = None,
    until: Annotated[str | None, typer.Option(help=f"Before this time. {_TIME_HELP}")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write here, not to stdout.")] = None,
) -> None:
    """Export the audit entries of a time range as JSON lines or CSV."""
    start, end = (None if t is None else parse_time(t) for t in (since, until))
    log = local(ctx).audit
    events = list(in_range(readable(log, log.entries), start, end))
    if fmt is ExportFormat.csv:
        text = csv_text(events)
    else:
        text = "".join(
            json.dumps(e.model_dump(mode="json"), sort_keys=True, separators=(",", ":")) + "\n"
            for e in events
        )
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)


@audit_app.command("verify")
def verify_command(
    ctx: typer.Context,
    against: Annotated[
        Path | None,
        typer.Option(
            help="A file holding what left through an audit sink (the file sink or file:PATH, a syslog file, "
            "OTLP JSON lines): proves the local log still matches it."
        ),
    ] = None,
) -> None:
    """Check every link of the hash chain; exit 1 naming the first broken entry."""
    report = check(local(ctx).audit, against)
    matched = "" if against is None else f", matching what left through {against}"
    console.print(f"[green]✓[/] chain intact: {report.entries} entries{matched}")


__all__ = ["audit_app", "audit_table", "check", "csv_text", "in_range", "parse_time"]

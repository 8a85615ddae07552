"""`charter audit [tail|verify]`: read the hash-chained audit log and check that it is intact."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from charter.auth.audit import AuditLog, VerifyReport
from charter.cli.context import local
from charter.cli.output import AuditChainBroken, console, excerpt, plain
from charter.schemas import AuditEvent

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


def check(log: AuditLog) -> VerifyReport:
    """The log's verification, raising `AuditChainBroken` naming the entry and the reason."""
    report = log.verify()
    if not report.ok:
        where = f"entry seq {report.seq}" if report.seq is not None else "the log"
        raise AuditChainBroken(
            f"audit log {log.path} is broken at {where}: {report.problem}. "
            f"{report.entries} entries before it are intact; keep the file as evidence."
        )
    return report


@audit_app.command("tail")
def tail_command(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("-n", "--lines", min=1, help="How many of the latest entries.")] = 20,
) -> None:
    """Show the latest audit entries, oldest first."""
    log = local(ctx).audit
    events = log.tail(n)
    if not events:
        console.print(f"The audit log is empty ({log.path}).")
        return
    console.print(audit_table(events))


@audit_app.command("verify")
def verify_command(ctx: typer.Context) -> None:
    """Check every link of the hash chain; exit 1 naming the first broken entry."""
    report = check(local(ctx).audit)
    console.print(f"[green]✓[/] chain intact: {report.entries} entries")


__all__ = ["audit_app", "audit_table", "check"]

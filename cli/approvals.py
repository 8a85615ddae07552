"""`charter approvals [list|approve|deny]`: the person's decisions on calls paused for approval."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table

from charter.agents.person import PersonSettings, cli_verification, refuse_cli_decision
from charter.agents.preview import visible
from charter.agents.rates import WriteRates, so_far_of
from charter.auth.grants import GrantRecord
from charter.auth.policy import Policy
from charter.cli.context import Local, local
from charter.cli.output import (
    Cancelled,
    JsonOption,
    UsageProblem,
    age,
    console,
    excerpt,
    plain,
    print_json,
    until,
)
from charter.schemas import ApprovalRequest, ApprovalStatus, Conflict
from charter.schemas.errors import GrantDenied

approvals_app = typer.Typer(help="Review, approve or deny paused agent calls.", no_args_is_help=True)

ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who decides, as recorded in the audit log; default: the grant's subject."),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


def show_request(
    request: ApprovalRequest, grant: GrantRecord | None = None, rates: WriteRates | None = None
) -> None:
    """The full preview of a paused call, with who asks, why it needs a person, both deadlines, and
    the batch one decision approves when it is a bulk pause."""
    grant_expiry = "" if grant is None else f" (expires {until(grant.claims.expires_at)})"
    console.print(
        Panel(
            plain(visible(request.preview)[0]),
            title=f"{request.id} · {plain(visible(request.agent)[0])} wants to run {request.tool}",
            subtitle=f"request expires {until(request.expires_at)} · grant {request.grant_id}{grant_expiry}",
            title_align="left",
            subtitle_align="left",
            border_style="cyan",
        )
    )
    for reason in request.reasons:
        console.print(f"  [yellow]why a person must decide:[/] {plain(reason)}")
    batch = batch_line(rates, request)
    if batch:
        console.print(f"  [magenta]batch:[/] {plain(batch)}")


def batch_line(rates: WriteRates | None, request: ApprovalRequest) -> str:
    """One line saying a bulk pause is a batch, what one decision covers and what the run did so far."""
    batch = None if rates is None else rates.batch(request.id)
    if batch is None:
        return ""
    done = so_far_of(request.reasons)
    return (
        f"one decision approves this call and the next {batch.further} {batch.action} write(s) "
        f"of this grant ({batch.size} in all)" + (f"; so far the run did: {done}" if done else "")
    )


def pending(here: Local, approval_id: str) -> ApprovalRequest:
    """The request, refused with `conflict` unless it is still waiting for a decision."""
    request = here.approvals.get(approval_id)
    if request.status is ApprovalStatus.PENDING:
        return request
    if request.status is ApprovalStatus.EXPIRED:
        raise Conflict(f"approval {approval_id} expired before anyone decided; the agent must ask again")
    raise Conflict(
        f"approval {approval_id} was already {request.status.value} by {request.decided_by}; "
        "a decision cannot be changed"
    )


def runnable_grant(here: Local, request: ApprovalRequest) -> GrantRecord:
    """The grant the paused call runs under, refused with `conflict` when the call can no longer run."""
    try:
        record = here.grants.get(request.grant_id)
        here.grants.check(record.claims)
    except GrantDenied as exc:
        why = {
            "expired": "has expired",
            "revoked": "was revoked (it or a grant it was narrowed from)",
            "budget_exhausted": "has used its whole call budget",
            "unknown": "is not known to this Charter home",
        }.get(str(exc.details.get("reason")), "is no longer valid")
        raise Conflict(
            f"cannot approve {request.id}: its grant {request.grant_id} {why}, so the call could never "
            f"run. Deny it (`charter approvals deny {request.id}`), and issue a new grant if the agent "
            "should go on.",
            status="grant_unusable",
        ) from None
    return record


def approve_request(
    here: Local, approval_id: str, *, by: str | None = None, yes: bool = False
) -> ApprovalRequest:
    """Show the preview, confirm unless `yes`, and approve as the person (audited as actor "person").

    A call whose grant can no longer run (expired, revoked, spent) is refused before the question.
    """
    request = pending(here, approval_id)
    refuse_cli_decision(here.home, request)
    grant = runnable_grant(here, request)
    show_request(request, grant, WriteRates(here.home))
    if not yes and not typer.confirm(f"Approve {approval_id}?", default=False):
        raise Cancelled(f"{approval_id} was not approved; it is still pending")
    # Checked again after the question: the grant may have expired while the person read.
    runnable_grant(here, request)
    ttl = Policy.for_home(here.home).approved_ttl
    decided = here.approvals.approve(
        approval_id, by=by or request.subject, ttl=ttl, verified_by=cli_verification()
    )
    console.print(
        f"[green]✓[/] approved {approval_id} (by {plain(decided.decided_by or '')}); the agent's call "
        f"runs once when it resumes, {until(decided.expires_at)} at the latest "
        f"(its grant expires {until(grant.claims.expires_at)})"
    )
    return decided


def deny_request(
    here: Local, approval_id: str, *, reason: str = "", by: str | None = None
) -> ApprovalRequest:
    """Deny as the person; the agent is told `reason`. A call whose grant is gone can still be denied."""
    request = pending(here, approval_id)
    if not PersonSettings.for_home(here.home).cli_decisions:
        refuse_cli_decision(here.home, request)
    try:
        grant: GrantRecord | None = here.grants.get(request.grant_id)
    except GrantDenied:
        grant = None
    show_request(request, grant, WriteRates(here.home))
    decided = here.approvals.deny(
        approval_id, by=by or request.subject, reason=reason, verified_by=cli_verification()
    )
    console.print(f"[red]✗[/] denied {approval_id}" + (f": {plain(reason)}" if reason else ""))
    return decided


@approvals_app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[
        str, typer.Option("--status", help="pending, approved, denied, expired or all.")
    ] = "pending",
    as_json: JsonOption = False,
) -> None:
    """List paused calls (pending ones by default) with a preview excerpt and the reasons."""
    wanted = None if status == "all" else _status(status)
    requests = local(ctx).approvals.list(wanted)
    if as_json:
        print_json(requests)
        return
    if not requests:
        console.print(f"No {'' if wanted is None else status + ' '}approval requests.")
        return
    rates = WriteRates(local(ctx).home)
    for r in requests:
        state = "" if wanted is not None else f" · {r.status.value}"
        console.print(f"[bold]{r.id}[/]  {plain(r.agent)} · {r.tool} · {age(r.created_at)} ago{state}")
        details = Table.grid(padding=(0, 2))
        details.add_column(style="dim", no_wrap=True)
        details.add_column()
        flat = visible(" ".join(r.preview.split()))[0]
        shown = excerpt(flat, 110)
        if len(shown) < len(flat):
            hidden = len(flat) - len(shown) + 1
            shown += f" ({hidden} more characters: `charter approvals approve {r.id}` shows all)"
        details.add_row("preview", plain(shown))
        for reason in r.reasons:
            details.add_row("why", plain(visible(reason)[0]))
        batch = batch_line(rates, r)
        if batch:
            details.add_row("batch", plain(visible(batch)[0]))
        console.print(Padding(details, (0, 0, 0, 2)))
    if wanted is ApprovalStatus.PENDING:
        console.print("Review one with `charter approvals approve ID`: it shows the full preview first.")


@approvals_app.command("approve")
def approve_command(
    ctx: typer.Context,
    approval_id: Annotated[str, typer.Argument(metavar="ID", help="The approval id (see `approvals list`).")],
    yes: YesOption = False,
    by: ByOption = None,
) -> None:
    """Show the full preview of a paused call, then approve it."""
    approve_request(local(ctx), approval_id, by=by, yes=yes)


@approvals_app.command("deny")
def deny_command(
    ctx: typer.Context,
    approval_id: Annotated[str, typer.Argument(metavar="ID", help="The approval id (see `approvals list`).")],
    reason: Annotated[str, typer.Option("--reason", help="Told to the agent.")] = "",
    by: ByOption = None,
) -> None:
    """Deny a paused call; the agent is told it was denied, and why."""
    deny_request(local(ctx), approval_id, reason=reason, by=by)


def _status(value: str) -> ApprovalStatus:
    try:
        return ApprovalStatus(value)
    except ValueError:
        choices = ", ".join([*(s.value for s in ApprovalStatus), "all"])
        raise UsageProblem(f"unknown status {value!r}; choose one of {choices}") from None


__all__ = ["approvals_app", "approve_request", "deny_request", "pending", "runnable_grant", "show_request"]

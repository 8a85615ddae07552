"""`charter grant [create|list|revoke|attenuate]`: the scoped, expiring credentials agents act with."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from charter.agents.person import refuse_cli_grant
from charter.auth.grants import UNSET, GrantAuthority, GrantRecord, IssuedGrant
from charter.auth.vocabulary import Vocabulary
from charter.cli.context import Local, local
from charter.cli.options import parse_constraints, parse_duration, split_csv
from charter.cli.output import (
    UsageProblem,
    console,
    plain,
    print_json,
    print_secret_line,
    until,
)
from charter.schemas import ConfigurationError, GrantClaims

grant_app = typer.Typer(help="Issue, list, revoke and narrow grants for agents.", no_args_is_help=True)

VerbsOption = Annotated[str | None, typer.Option("--verbs", help="Comma list of read, draft, write.")]
ActionOption = Annotated[
    list[str] | None,
    typer.Option("--action", help="Only these tools, e.g. github_list_issues (repeatable; `*` suffix ok)."),
]
DestructiveOption = Annotated[
    list[str] | None,
    typer.Option(
        "--destructive", help="A destructive tool the agent may ask for, e.g. github_merge_pull_request."
    ),
]
ConstraintOption = Annotated[
    list[str] | None,
    typer.Option(
        "--constraint",
        help="Resource limit name=value[,value], e.g. repos=acme/web; the names are listed below.",
    ),
]
# What the grant store holds (a 32-bit count): larger is refused as an option, not as a database error.
MOST_CALLS = 2**31 - 1
BudgetOption = Annotated[
    int | None, typer.Option("--budget", min=1, max=MOST_CALLS, help="Maximum number of calls.")
]
WriteRateOption = Annotated[
    int | None,
    typer.Option(
        "--write-rate", min=1, max=MOST_CALLS, help="Writes of one action per bulk window without asking."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the token (for piping).")]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Write the token to this new file (mode 0600) instead of printing it."),
]


class VocabularyHelp(TyperCommand):
    """A command whose `--help` ends with the constraint names and actions the connectors declare.

    Read only when help is shown: loading every connector costs more than most commands take.
    """

    @property
    def epilog(self) -> str:
        return vocabulary_help(Vocabulary.installed())

    @epilog.setter
    def epilog(self, value: str | None) -> None:
        """The text is always the connectors' own; what the decorator passes is ignored."""


def vocabulary_help(vocabulary: Vocabulary) -> str:
    """The names a grant may use, per installed service, as help text."""
    services = sorted(vocabulary.services.values(), key=lambda t: t.service)
    keys = [f"{k} ({t.service})" for t in services for k in sorted(t.constraints)]
    lines = [f"Constraint names (--constraint NAME=VALUE): {', '.join(keys) or 'none installed'}."]
    for terms in services:
        names = sorted(a.removeprefix(f"{terms.service}_") for a in terms.actions)
        lines.append(f"Actions of {terms.service} (--action {terms.service}_NAME): {', '.join(names)}.")
    return "\n\n".join(lines)


def create_grant(
    here: Local,
    *,
    agent: str,
    connections: list[str],
    verbs: list[str],
    actions: list[str] | None = None,
    destructive: list[str] | None = None,
    constraints: dict[str, list[str]] | None = None,
    budget: int | None = None,
    ttl: timedelta = timedelta(hours=8),
    subject: str | None = None,
    write_rate: int | None = None,
    passkey_verified: bool = False,
) -> IssuedGrant:
    """Issue a root grant; the subject defaults to the account of the first connection.

    Refused when the home keeps grant creation for the passkey and `passkey_verified` is not set
    (only the console sets it, after checking the person's passkey).
    """
    if not passkey_verified:
        refuse_cli_grant(here.home)
    for cid in connections:
        here.vault.get(cid)  # an unknown id fails here, naming the connections there are
    who = subject or here.vault.get(connections[0]).account
    return here.grants.issue(
        who,
        agent,
        connections,
        verbs,
        actions=actions or None,
        destructive=destructive or (),
        constraints=constraints or {},
        budget=budget,
        ttl=ttl,
        write_rate=write_rate,
    )


def describe(claims: GrantClaims, sep: str = "; ") -> str:
    """What a grant allows, its parts joined by `sep`."""
    parts = [", ".join(claims.verbs)]
    if claims.actions is not None:
        parts.append("actions " + ", ".join(claims.actions))
    parts.extend(f"{name}={','.join(values)}" for name, values in claims.constraints.items())
    if claims.destructive:
        parts.append("destructive " + ", ".join(claims.destructive))
    parts.append(f"budget {claims.budget if claims.budget is not None else 'unlimited'}")
    if claims.write_rate is not None:
        parts.append(f"write rate {claims.write_rate} per action")
    return sep.join(parts)


def print_issued(issued: IssuedGrant, quiet: bool, out: Path | None = None) -> None:
    """The new grant, then its token on a line of its own (or into `out`); with `quiet`, the token only."""
    if out is not None:
        write_token_file(out, issued.token)
    if not quiet:
        c = issued.claims
        who = f"agent [bold]{plain(c.agent)}[/] on behalf of {plain(c.subject)}"
        console.print(f"[green]✓[/] grant [bold]{c.id}[/] for {who}")
        console.print(f"  allows: {plain(describe(c))}")
        console.print(f"  expires: {c.expires_at:%Y-%m-%d %H:%M} UTC ({until(c.expires_at)})")
        if out is not None:
            console.print(f"  token written to {plain(str(out))} (mode 0600; the agent's only credential)")
        else:
            console.print("  token (shown once; give it to the agent, it is the agent's only credential):")
    if out is None:
        print_secret_line(issued.token)


def write_token_file(path: Path, token: str) -> None:
    """Write a grant token to a new file only its owner can read; an existing file is never replaced."""
    try:
        # Created 0600 in one step: no moment when the token sits in a file others could read.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageProblem(f"{path} already exists; choose a new file for the token") from None
    except OSError as exc:
        raise ConfigurationError(f"cannot write the token to {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as file:
        file.write(token + "\n")


@grant_app.command("create", cls=VocabularyHelp)
def create_command(
    ctx: typer.Context,
    agent: Annotated[str, typer.Option("--agent", help="The agent's name, e.g. triage-bot.")],
    connection: Annotated[
        list[str], typer.Option("--connection", help="Connection id the agent may use (repeatable).")
    ],
    verbs: VerbsOption = "read,draft",
    action: ActionOption = None,
    destructive: DestructiveOption = None,
    constraint: ConstraintOption = None,
    budget: BudgetOption = None,
    ttl: Annotated[str, typer.Option("--ttl", help="Lifetime, e.g. 30m, 8h, 2d.")] = "8h",
    subject: Annotated[
        str | None, typer.Option("--subject", help="On whose behalf; default: the connection's account.")
    ] = None,
    quiet: QuietOption = False,
    out: OutOption = None,
    write_rate: WriteRateOption = None,
) -> None:
    """Issue a grant to an agent and print its token once.

    Every action and constraint name is checked against the connectors' declarations: a typo is
    refused with the valid names, never silently ignored.
    """
    issued = create_grant(
        local(ctx),
        agent=agent,
        connections=split_csv(connection),
        verbs=split_csv([verbs or ""]),
        actions=split_csv(action) or None,
        destructive=split_csv(destructive),
        constraints=parse_constraints(constraint),
        budget=budget,
        ttl=parse_duration(ttl),
        subject=subject,
        write_rate=write_rate,
    )
    print_issued(issued, quiet, out)


@grant_app.command("list")
def list_command(
    ctx: typer.Context,
    agent: Annotated[str | None, typer.Option("--agent", help="Only this agent's grants.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the grants as JSON.")] = False,
) -> None:
    """List grants, newest first, with their usage and status; tokens are never shown."""
    records = local(ctx).grants.list(agent=agent)
    if as_json:
        print_json([record_data(r) for r in records])
        return
    if not records:
        console.print("No grants yet. Issue one with `charter grant create`.")
        return
    # One block per grant, as `charter connections`: ids, agent names and constraints stay whole.
    for r in records:
        c = r.claims
        console.print(
            f"[bold]{r.id}[/]  {plain(c.agent)} for {plain(c.subject)} · {_status(r)} · "
            f"used {_usage(r)} · expires {until(c.expires_at)}",
            soft_wrap=True,
        )
        if c.parent_id:
            console.print(f"  [dim]narrowed from[/] {c.parent_id}", soft_wrap=True)
        console.print(f"  [dim]allows[/] {plain(describe(c))}", soft_wrap=True)


@grant_app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    grant_id: Annotated[str, typer.Argument(metavar="ID", help="The grant id (see `grant list`).")],
) -> None:
    """Revoke a grant and every grant attenuated from it."""
    revoked = local(ctx).grants.revoke(grant_id)
    if not revoked:
        console.print(f"{grant_id} was already revoked; nothing changed.")
        return
    console.print(f"[green]✓[/] revoked {', '.join(revoked)}")


def record_data(record: GrantRecord) -> dict[str, Any]:
    """A grant as `grant list --json` shows it: its claims, usage and status, never its token."""
    return {
        **record.claims.model_dump(mode="json"),
        "used": record.used,
        "remaining": record.remaining,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
        "status": record.status(),
    }


@grant_app.command("attenuate", cls=VocabularyHelp)
def attenuate_command(
    ctx: typer.Context,
    token: Annotated[
        str, typer.Argument(metavar="TOKEN", help="The parent grant's token, or - to read it from stdin.")
    ],
    agent: Annotated[
        str | None,
        typer.Option("--agent", help="The sub-agent's own name; it is named under its parent (parent/NAME)."),
    ] = None,
    verbs: VerbsOption = None,
    action: ActionOption = None,
    destructive: DestructiveOption = None,
    constraint: ConstraintOption = None,
    budget: BudgetOption = None,
    ttl: Annotated[str | None, typer.Option("--ttl", help="Lifetime; never past the parent's.")] = None,
    quiet: QuietOption = False,
    out: OutOption = None,
) -> None:
    """Issue a narrower child grant; anything wider than the parent is refused."""
    issued = attenuate(
        local(ctx).grants,
        _read_token(token),
        agent=agent,
        verbs=split_csv([verbs]) if verbs else None,
        actions=split_csv(action) or None,
        destructive=split_csv(destructive) or None,
        constraints=parse_constraints(constraint),
        budget=budget,
        ttl=parse_duration(ttl) if ttl else None,
    )
    print_issued(issued, quiet, out)


def attenuate(
    authority: GrantAuthority,
    token: str,
    *,
    agent: str | None,
    verbs: list[str] | None,
    actions: list[str] | None,
    destructive: list[str] | None,
    constraints: dict[str, list[str]],
    budget: int | None,
    ttl: timedelta | None,
) -> IssuedGrant:
    """A child of the grant holding `token`; omitted axes are inherited, the budget too."""
    return authority.attenuate(
        token,
        agent=agent,
        verbs=verbs,
        actions=actions,
        destructive=destructive,
        constraints=constraints or None,
        budget=UNSET if budget is None else budget,
        ttl=ttl,
    )


def _read_token(token: str) -> str:
    # Reading from stdin keeps the token out of the shell history and the process list.
    value = sys.stdin.readline().strip() if token == "-" else token.strip()
    if not value:
        raise UsageProblem("no grant token given; pass it as TOKEN or pipe it in with -")
    return value


def _usage(record: GrantRecord) -> str:
    budget = record.claims.budget
    return f"{record.used}/{budget}" if budget is not None else f"{record.used}"


def _status(record: GrantRecord) -> str:
    status = record.status()
    colour = {"active": "green", "expired": "yellow", "revoked": "red", "exhausted": "yellow"}[status]
    return f"[{colour}]{status}[/]"


__all__ = [
    "VocabularyHelp",
    "attenuate",
    "create_grant",
    "describe",
    "grant_app",
    "print_issued",
    "record_data",
    "vocabulary_help",
    "write_token_file",
]

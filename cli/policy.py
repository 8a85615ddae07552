"""`charter policy check|explain|replay`: test a policy before it decides anything for an agent."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import pydantic
import typer
from pydantic import BaseModel

from charter.agents.guards import addresses, own_domain
from charter.agents.replay import ReplayReport, replay
from charter.agents.replay_records import ReplayRecords
from charter.auth.policy import DEFAULT_POLICY_FILE, POLICY_FILE, Call, Decision, Policy, combine, decide_all
from charter.auth.policy_check import DeclaredAction, analyse, explain_rules, type_check
from charter.cli.context import Local, local
from charter.cli.options import parse_duration
from charter.cli.output import JsonOption, UsageProblem, console, plain, print_json
from charter.connectors.fields import constrained_fields
from charter.connectors.registry import declared_actions
from charter.schemas import GrantClaims, ValidationError, utcnow

policy_app = typer.Typer(help="Check, explain and replay a policy.", no_args_is_help=True)

FileArgument = Annotated[
    Path | None,
    typer.Argument(
        help="A policy file; default the home's policy.yaml, else the one shipped.", show_default=False
    ),
]
PackOption = Annotated[
    str | None, typer.Option("--pack", help="A ready-made policy instead of a file: read-only-assistant, ...")
]
_STYLE = {"allow": "green", "approval_required": "yellow", "deny": "red"}
_WORD = {"allow": "allowed", "approval_required": "paused for approval", "deny": "denied"}


def chosen_policy(here: Local | None, file: Path | None, pack: str | None) -> Policy:
    """The policy a command reads: `--pack`, a file, the home's policy.yaml, or the shipped default."""
    if pack is not None and file is not None:
        raise UsageProblem("give a policy FILE or --pack, not both")
    if pack is not None:
        return Policy.pack(pack)
    if file is not None:
        if not file.is_file():
            raise UsageProblem(f"there is no policy file {file}")
        return Policy.load(file)
    if here is not None and (here.path / POLICY_FILE).is_file():
        return Policy.load(here.path / POLICY_FILE)
    return Policy.load(DEFAULT_POLICY_FILE)


@policy_app.command("check")
def check_command(
    ctx: typer.Context, file: FileArgument = None, pack: PackOption = None, as_json: JsonOption = False
) -> None:
    """Parse the policy, type-check every condition, list dead rules, print the effect per tool."""
    policy = chosen_policy(local(ctx), file, pack)
    actions = declared_actions()
    report = analyse(policy, actions)
    if as_json:
        print_json({"ok": report.ok, "problems": report.problems, "notes": report.notes,
                    "effective": report.effective})  # fmt: skip
    else:
        for note in report.notes:
            console.print(f"[yellow]note[/] {plain(note.message)}")
        for tool, lines in report.effective.items():
            console.print(f"[bold]{plain(tool)}[/]: {plain(lines[0])}")
            for line in lines[1:]:
                console.print(f"    {plain(line)}")
    # The same refusal a Toolkit would give when it loads this policy.
    type_check(policy, actions)
    if not as_json:
        console.print(f"[green]ok[/]: {len(policy.rules)} rule(s), every condition types for its actions")


@policy_app.command("explain")
def explain_command(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="The action as policy names it, e.g. gmail_send_draft.")],
    args: Annotated[str, typer.Option("--args", help="The call's arguments as a JSON object.")] = "{}",
    grant: Annotated[
        Path | None, typer.Option("--grant", help="A file holding the grant token the agent would call with.")
    ] = None,
    facts: Annotated[
        str,
        typer.Option("--facts", help='What the connector would read of the resource, e.g. {"issue": {...}}.'),
    ] = "{}",
    agent: Annotated[
        str, typer.Option("--agent", help="Without --grant: the agent (chain) calling.")
    ] = "agent",
    account: Annotated[
        str | None, typer.Option("--account", help="The connected account, for recipients.")
    ] = None,
    policy_file: Annotated[
        Path | None, typer.Option("--policy", help="A policy file to explain with.")
    ] = None,
    pack: PackOption = None,
    as_json: JsonOption = False,
) -> None:
    """What the policy would decide for one call and why, rule by rule; nothing is called."""
    here = local(ctx)
    policy = chosen_policy(here, policy_file, pack)
    action = _action(tool)
    claims = _claims(here, grant, agent)
    request = _validate(action, _json_object(args, "--args"))
    call = Call(request, utcnow(), _json_object(facts, "--facts"))
    verdicts = explain_rules(policy, claims, action, call)
    decision = decide_all(
        policy, claims, tool, action, request, constrained_fields(action.request), call.now, call.facts
    )
    if decision.outcome != "deny" and action.verb == "write":
        decision = combine(
            decision, policy.check_recipients(tool, addresses(request), own_domain(account or ""))
        )
    if as_json:
        print_json({"tool": tool, "grant": claims.id, "agent": claims.agent, "outcome": decision.outcome,
                    "reasons": decision.reasons, "rules": verdicts})  # fmt: skip
        return
    for v in verdicts:
        mark = "[bold]applies[/]" if v.applies else "[dim]skips[/]"
        console.print(f"{plain(v.at)}: {v.outcome} {mark}: {plain(v.why)}")
    _print_decision(tool, decision)


def _print_decision(tool: str, decision: Decision) -> None:
    style = _STYLE[decision.outcome]
    console.print(f"[{style}]{plain(tool)} would be {_WORD[decision.outcome]}[/]")
    for reason in decision.reasons:
        console.print(f"  - {plain(reason)}")


@policy_app.command("replay")
def replay_command(
    ctx: typer.Context,
    file: FileArgument = None,
    pack: PackOption = None,
    since: Annotated[str, typer.Option("--since", help="How far back: 30m, 8h, 7d.")] = "7d",
    as_json: JsonOption = False,
) -> None:
    """Decide again, under a candidate policy, every agent call the audit log recorded since then."""
    here = local(ctx)
    candidate = chosen_policy(None, file, pack) if file or pack else chosen_policy(here, None, None)
    actions = declared_actions()
    type_check(candidate, actions)
    current = chosen_policy(here, None, None)
    moment = utcnow()
    start = moment - parse_duration(since)
    records = ReplayRecords(here.home, here.audit.chain)
    report = replay(candidate, current, here.audit, records, actions, start, moment)
    if as_json:
        print_json(_replay_data(report))
        return
    _print_replay(report)


def _replay_data(report: ReplayReport) -> dict[str, Any]:
    return {
        "since": report.since,
        "replayed": len(report.replayed),
        "changed": len(report.changes),
        "counts": {tool: dict(c) for tool, c in report.counts().items()},
        "changes": report.changes,
        "skipped": report.skipped,
    }


def _print_replay(report: ReplayReport) -> None:
    console.print(
        f"{len(report.replayed)} call(s) since {report.since:%Y-%m-%d %H:%M} UTC replayed; "
        f"{len(report.changes)} would change"
    )
    for tool, counts in sorted(report.counts().items()):
        moves = ", ".join(f"{move}: {n}" for move, n in sorted(counts.items()))
        console.print(f"  [bold]{plain(tool)}[/]  {plain(moves)}")
    for change in report.changes:
        console.print(f"  #{change.seq} {plain(change.tool)} ({plain(change.agent or '?')}): "
                      f"{change.before} → {change.after}: {plain('; '.join(change.reasons))}")  # fmt: skip
    if report.skipped:
        console.print(f"[yellow]{len(report.skipped)} call(s) cannot be replayed:[/]")
        for skip in report.skipped:
            console.print(f"  #{skip.seq} {plain(skip.tool)}: {plain(skip.why)}")


def _action(tool: str) -> DeclaredAction:
    found = {a.tool: a for a in declared_actions()}
    if tool not in found:
        close = [t for t in sorted(found) if t.split("_")[0] == tool.split("_")[0]][:12]
        hint = f"; {tool.split('_')[0]} has {', '.join(close)}" if close else ""
        raise UsageProblem(f"no installed action is called {tool!r}{hint}")
    return found[tool]


def _claims(here: Local, grant: Path | None, agent: str) -> GrantClaims:
    if grant is None:
        # No grant given: one for every verb, naming nothing destructive, as a new grant would.
        return GrantClaims(
            id="explain", subject="you", agent=agent, connections=("any",), verbs=("read", "draft", "write"),
            issued_at=utcnow(), expires_at=utcnow() + timedelta(hours=1),
        )  # fmt: skip
    try:
        token = grant.read_text().strip()
    except OSError as exc:
        raise UsageProblem(f"cannot read the grant file {grant}: {exc.strerror}") from None
    return here.grants.decode(token)


def _json_object(text: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageProblem(f"{option} is not JSON ({exc.msg} at character {exc.pos + 1})") from None
    if not isinstance(value, dict):
        raise UsageProblem(f'{option} must be a JSON object, e.g. {{"to": ["a@acme.com"]}}')
    return value


def _validate(action: DeclaredAction, args: dict[str, Any]) -> BaseModel:
    try:
        return action.request.model_validate(args)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}" for e in exc.errors()
        )
        raise ValidationError(f"invalid arguments for {action.tool}: {problems}") from None


__all__ = ["chosen_policy", "policy_app"]

"""What-if over the audit log: the decision a candidate policy would have given each recorded call.

Each agent call since a moment is read from the audit log with its sealed replay record
(`charter.agents.replay_records`) and decided again: grant, resource constraints, the candidate's
rules with the call's arguments and time, and its recipient rules. Taint is a fact of the session,
not of the policy: where the log's decision was stricter than the home's policy gives on the same
record, that strictness is carried over. A call without a record is listed with the reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import pydantic

from charter.agents.guards import addresses, own_domain
from charter.agents.replay_records import RETENTION_ENV, ReplayRecord, ReplayRecords
from charter.auth.audit import AuditLog
from charter.auth.policy import Decision, Outcome, Policy, combine, decide_all
from charter.auth.policy_check import DeclaredAction
from charter.connectors.fields import constrained_fields
from charter.schemas import AuditEvent, Verb, utcnow

WORDS: Mapping[str, str] = {"allow": "allowed", "approval_required": "paused", "deny": "denied"}


@dataclass(frozen=True)
class Replayed:
    """One call decided again: what the log says happened and what the candidate would do."""

    seq: int
    at: datetime
    tool: str
    agent: str | None
    before: Outcome
    after: Outcome
    reasons: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class Unreplayable:
    """A call the log holds but that cannot be decided again, and why."""

    seq: int
    tool: str
    why: str


@dataclass
class ReplayReport:
    """The candidate's effect: every call replayed, the changes, counts per tool, what was skipped."""

    since: datetime
    replayed: list[Replayed] = field(default_factory=list)
    skipped: list[Unreplayable] = field(default_factory=list)

    @property
    def changes(self) -> list[Replayed]:
        return [r for r in self.replayed if r.changed]

    def counts(self) -> dict[str, Counter[str]]:
        """Per tool: `allowed → paused` and the like, with how many calls moved so."""
        per_tool: dict[str, Counter[str]] = {}
        for r in self.changes:
            per_tool.setdefault(r.tool, Counter())[f"{WORDS[r.before]} → {WORDS[r.after]}"] += 1
        return per_tool


def replay(
    candidate: Policy,
    current: Policy,
    audit: AuditLog,
    records: ReplayRecords,
    actions: Iterable[DeclaredAction],
    since: datetime,
    now: datetime | None = None,
) -> ReplayReport:
    """Decide every agent call recorded since `since` under `candidate`; nothing is called."""
    moment = now or utcnow()
    declared = {a.tool: a for a in actions}
    entries = [e for e in audit.entries() if e.actor == "agent" and e.at >= since]
    found = records.get((e.seq for e in entries), moment)
    report = ReplayReport(since)
    for entry in entries:
        record = found.get(entry.seq)
        if record is None or entry.decision is None:
            report.skipped.append(Unreplayable(entry.seq, entry.action, _why_missing(entry, records, moment)))
            continue
        action = declared.get(record.tool)
        if action is None:
            report.skipped.append(Unreplayable(entry.seq, record.tool, "its connector is not installed"))
            continue
        try:
            after = _decide_again(candidate, current, record, action, entry.decision, entry.reasons)
        except pydantic.ValidationError:
            why = "its arguments no longer fit the action's request model"
            report.skipped.append(Unreplayable(entry.seq, record.tool, why))
            continue
        report.replayed.append(
            Replayed(
                entry.seq, entry.at, record.tool, entry.agent, entry.decision, after.outcome, after.reasons
            )
        )
    return report


def _decide_again(
    candidate: Policy,
    current: Policy,
    record: ReplayRecord,
    action: DeclaredAction,
    logged: Outcome,
    logged_reasons: tuple[str, ...],
) -> Decision:
    after = _policy_decision(candidate, record, action)
    if _rank(logged) > _rank(_policy_decision(current, record, action).outcome):
        # Stricter in the log than the home's policy alone: a session check (taint) decided it.
        after = combine(after, Decision(logged, logged_reasons))
    return after


def _policy_decision(policy: Policy, record: ReplayRecord, action: DeclaredAction) -> Decision:
    request = action.request.model_validate(record.request)
    facts = _Facts(cast(Verb, record.verb), frozenset(record.risks))
    fields = constrained_fields(action.request)
    decision = decide_all(policy, record.claims, record.tool, facts, request, fields, record.at, record.facts)
    if decision.outcome != "deny" and record.verb == "write":
        reached = policy.check_recipients(record.tool, addresses(request), own_domain(record.account or ""))
        decision = combine(decision, reached)
    return decision


@dataclass(frozen=True)
class _Facts:
    verb: Verb
    risks: frozenset[str]


def _rank(outcome: Outcome) -> int:
    return {"allow": 0, "approval_required": 1, "deny": 2}[outcome]


def _why_missing(entry: AuditEvent, records: ReplayRecords, now: datetime) -> str:
    if entry.decision is None:
        ended = f" ({entry.error_code})" if entry.error_code else ""
        return f"the call ended before policy decided{ended}: there is nothing to decide again"
    if entry.at <= now - records.retention:
        days = records.retention / timedelta(days=1)
        return f"its arguments were purged after {days:g} days (set {RETENTION_ENV} to keep them longer)"
    if entry.outcome == "denied":
        return "refused before policy read its arguments (by the grant); no policy changes that"
    return "no record of its arguments (made before records were kept, or with retention 0)"


__all__ = ["ReplayReport", "Replayed", "Unreplayable", "replay"]

"""A policy read against the actions the connectors declare: type errors, dead rules, the effect per tool.

`type_check` runs whenever a policy with conditions is loaded for a Toolkit, so a condition on a field
an action does not have stops the policy there. `analyse` is what `charter policy check` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel

from charter.auth.conditions import CallContext, PolicyInvalid
from charter.auth.policy import APPROVAL_RISKS, Call, Outcome, Policy, Rule
from charter.schemas import REACHES, RISKS, GrantClaims, Verb


@dataclass(frozen=True)
class DeclaredAction:
    """What the checker reads of one action: `tool` as policy names it, verb, risks, request model.

    `variable_risks` marks a connector that weighs risks per call (`risks_for`): any risk may apply;
    `variable_reach` likewise for whom a call reaches (recipients, the place's visibility).
    """

    tool: str
    verb: Verb
    risks: frozenset[str]
    request: type[BaseModel]
    variable_risks: bool = False
    # Facts of the resource acted on that conditions may read (`issue` for a GitHub comment).
    facts: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    reach: str | None = None
    variable_reach: bool = False


@dataclass(frozen=True)
class _Facts:
    verb: Verb
    risks: frozenset[str]
    reach: str | None


def _selects(rule: Rule, action: DeclaredAction) -> bool:
    """Whether the rule can select some call of the action (risks and reach as they may be per call)."""
    risks = frozenset(RISKS) if action.variable_risks else action.risks
    reaches = REACHES if action.variable_reach else (action.reach,)
    return any(rule.selects(action.tool, _Facts(action.verb, risks, reach)) for reach in reaches)


def selected(rule: Rule, actions: Iterable[DeclaredAction]) -> list[DeclaredAction]:
    """The declared actions a rule's selectors (names, verbs, risks) can pick."""
    return [a for a in actions if _selects(rule, a)]


def type_check(policy: Policy, actions: Iterable[DeclaredAction]) -> None:
    """Refuse (PolicyInvalid, with file and line) a condition that does not type for an action it sees."""
    problems = type_problems(policy, list(actions))
    if problems:
        raise PolicyInvalid("; ".join(problems), problems=problems)


def type_problems(policy: Policy, actions: list[DeclaredAction]) -> list[str]:
    problems: list[str] = []
    for index, rule in enumerate(policy.rules):
        if not rule.when:
            continue
        chosen = selected(rule, actions)
        if not chosen:
            problems.append(
                f"{_origin(policy, index)}: the rule has conditions but selects no installed action "
                f"({', '.join(rule.actions)}): its fields cannot be checked; name an action that exists"
            )
        for condition in rule.when:
            for action in chosen:
                try:
                    condition.check(action.tool, action.request, action.facts)
                except PolicyInvalid as exc:
                    problems.append(exc.message + "; narrow the rule's `actions` or fix the condition")
                    break
    return problems


@dataclass(frozen=True)
class RuleNote:
    """Something `policy check` has to say about one rule."""

    rule: int
    at: str
    kind: str  # "never_matches", "shadowed", "no_effect"
    message: str


@dataclass
class Analysis:
    """The checked policy: problems (refusals), notes (dead rules) and the effect per tool."""

    problems: list[str] = field(default_factory=list)
    notes: list[RuleNote] = field(default_factory=list)
    effective: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def analyse(policy: Policy, actions: Iterable[DeclaredAction]) -> Analysis:
    """Type problems, rules that never match or are shadowed, and what each tool gets by default."""
    declared = sorted(actions, key=lambda a: a.tool)
    report = Analysis(problems=type_problems(policy, declared))
    for index, rule in enumerate(policy.rules):
        note = _note(policy, index, rule, declared)
        if note is not None:
            report.notes.append(note)
    for action in declared:
        report.effective[action.tool] = effect(policy, action)
    return report


def _note(policy: Policy, index: int, rule: Rule, declared: list[DeclaredAction]) -> RuleNote | None:
    at = _origin(policy, index)
    chosen = selected(rule, declared)
    if not chosen:
        return RuleNote(
            index, at, "never_matches", f"{at}: selects no installed action ({', '.join(rule.actions)})"
        )
    for earlier_index, earlier in enumerate(policy.rules[:index]):
        if _covers(earlier, rule, chosen) and _outranks(earlier.outcome, rule.outcome):
            return RuleNote(
                index, at, "shadowed",
                f"{at}: shadowed by the rule at {_origin(policy, earlier_index)}, which applies wherever "
                f"this one does and {_verb(earlier.outcome)}",
            )  # fmt: skip
    if rule.outcome == "allow":
        waivable = [a for a in chosen if _waivable(rule, a)]
        if not waivable:
            return RuleNote(
                index, at, "no_effect",
                f"{at}: allows only what is allowed already (or what no rule may waive: a destructive "
                "action waives approval only when the rule names it exactly)",
            )  # fmt: skip
    return None


def _covers(earlier: Rule, later: Rule, chosen: list[DeclaredAction]) -> bool:
    """Whether `earlier` applies to every call `later` can (conservatively: no conditions, same agents)."""
    if earlier.when or (earlier.agents and set(earlier.agents) != set(later.agents)):
        return False
    return all(_selects(earlier, a) for a in chosen) and not (
        (earlier.risks and any(a.variable_risks for a in chosen))
        or (earlier.reaches and any(a.variable_reach for a in chosen))
    )


def _outranks(earlier: Outcome, later: Outcome) -> bool:
    rank = {"deny": 2, "approval_required": 1, "allow": 0}
    # An equal outcome shadows too: the later rule adds nothing but its reason.
    return rank[earlier] >= rank[later]


def _waivable(rule: Rule, action: DeclaredAction) -> bool:
    needs_approval = action.verb == "write" and (
        action.variable_risks or any(r in action.risks for r in APPROVAL_RISKS)
    )
    return needs_approval and ("destructive" not in action.risks or rule.names(action.tool))


def effect(policy: Policy, action: DeclaredAction) -> list[str]:
    """The tool's default outcome and every rule that can change it, in words."""
    lines = [_default(action)]
    for index, rule in enumerate(policy.rules):
        if _selects(rule, action):
            scope = []
            if rule.agents:
                scope.append(f"for agents {', '.join(rule.agents)}")
            if rule.when:
                scope.append("when " + " and ".join(c.text for c in rule.when))
            said = " ".join([_verb(rule.outcome), *scope])
            lines.append(f"{said}  ({_origin(policy, index)})")
    return lines


def _default(action: DeclaredAction) -> str:
    if action.verb != "write":
        return f"{action.verb}: allowed within the grant"
    if "destructive" in action.risks:
        return "write, destructive: denied unless the grant names it, then approval required"
    risky = [r for r in APPROVAL_RISKS if r in action.risks]
    if risky:
        return f"write, {', '.join(risky)}: approval required"
    if action.reach is None:
        return "write: approval required (it does not declare whom it reaches)"
    depends = [
        what
        for what, varies in (("risks", action.variable_risks), ("reach", action.variable_reach))
        if varies
    ]
    verb = "depends" if len(depends) == 1 else "depend"
    suffix = f" ({' and '.join(depends)} {verb} on the arguments)" if depends else ""
    if action.reach != "person" and not action.variable_reach:
        return f"write, reaches {action.reach}: approval required{suffix}"
    return f"write: allowed within a grant with the write verb when it reaches only the person{suffix}"


def _verb(outcome: Outcome) -> str:
    return {"allow": "waives approval", "deny": "denies", "approval_required": "requires approval"}[outcome]


def _origin(policy: Policy, index: int) -> str:
    return policy.origins[index] if index < len(policy.origins) else f"rule {index + 1}"


@dataclass(frozen=True)
class RuleVerdict:
    """Whether one rule applies to a call, and why or why not."""

    at: str
    outcome: Outcome
    applies: bool
    why: str


def explain_rules(
    policy: Policy, claims: GrantClaims, action: DeclaredAction, call: Call
) -> list[RuleVerdict]:
    """Rule by rule: does it select the action, name the agent, and do its conditions hold."""
    verdicts: list[RuleVerdict] = []
    context = CallContext(claims.agent, claims.id, call.now, call.facts)
    for index, rule in enumerate(policy.rules):
        at = _origin(policy, index)
        if not _selects(rule, action):
            verdicts.append(RuleVerdict(at, rule.outcome, False, f"does not select {action.tool}"))
        elif rule.agents and not rule.names_agent(claims.agent):
            verdicts.append(RuleVerdict(at, rule.outcome, False, f"names agents {', '.join(rule.agents)}"))
        else:
            verdicts.append(_conditions_verdict(at, rule, claims, call, context))
    return verdicts


def _conditions_verdict(
    at: str, rule: Rule, claims: GrantClaims, call: Call, context: CallContext
) -> RuleVerdict:
    parts = []
    for condition in rule.when:
        try:
            parts.append(
                f"`{condition.text}` is {'true' if condition.holds(call.request, context) else 'false'}"
            )
        except Exception:
            parts.append(f"`{condition.text}` cannot be evaluated (counts against the call)")
    applies = rule.holds(claims, call)
    why = "; ".join(parts) if parts else "selects the call"
    return RuleVerdict(at, rule.outcome, applies, why)


__all__ = [
    "Analysis",
    "DeclaredAction",
    "RuleNote",
    "RuleVerdict",
    "analyse",
    "effect",
    "explain_rules",
    "selected",
    "type_check",
]

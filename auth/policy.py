"""Policy: for each call, allow, deny or require a person's approval — and say why.

Decisions are pure functions of the grant's claims, the action's declaration and the rules, so they
are testable and explainable. Grant checks (`check_grant`, `check_constraints`) come first and
answer `grant_denied`; `Policy.decide` then applies the safe defaults and the person's rules:

- reads and drafts are allowed within the grant;
- a grant without the `write` verb never commits, whatever token sits behind it;
- destructive actions are denied unless the grant names them, and then need approval;
- writes tagged external, destructive or sharing need approval;
- writes that reach anyone but the person (people inside the domain, outsiders, the public), or
  that hide or rewrite something the person relies on, need approval.

Rules (YAML or dicts) can deny actions, require approval, or waive approval; a waiver applies to a
destructive action only when the rule names that action exactly.

`Policy.check_recipients` looks at a call's arguments and can only tighten a decision, never waive
one: domain rules and a maximum count for every address a write reaches. What a write carries (text
the grant read, secrets, links) is checked by the agent layer's guards (`charter.agents.guards`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Protocol

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator

from charter.auth.attenuation import check_agent_pattern, matches, matches_agent, matches_agent_or_ancestor
from charter.auth.conditions import CallContext, Condition, PolicyInvalid, parse_conditions
from charter.auth.home import CharterHome
from charter.auth.policy_source import read_yaml, where
from charter.schemas import GrantClaims, Verb, utcnow
from charter.schemas.audit import Decision as Outcome
from charter.schemas.types import Reach, Risk

APPROVAL_RISKS: tuple[Risk, ...] = ("external", "destructive", "sharing", "hides", "rewrites")
REACH_WORDS: dict[str, str] = {
    "domain": "people inside the account's domain (or everyone who can read the place)",
    "outsiders": "people outside the account's domain",
    "public": "the public",
}
RISK_WORDS: dict[str, str] = {
    "hides": "hides something the person relies on (mail archived, marked read or relabelled)",
    "rewrites": "rewrites something the person relies on (an event, a file, a page, an issue)",
}
POLICY_FILE = "policy.yaml"
DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.yaml")
PACKS_DIR = Path(__file__).with_name("policies")


class ActionFacts(Protocol):
    """What policy reads of an action (`charter.connectors.ActionSpec` fits)."""

    @property
    def verb(self) -> Verb: ...

    @property
    def risks(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class Decision:
    """The outcome of a check with the reasons a person or an LLM can read."""

    outcome: Outcome
    reasons: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.outcome == "allow"

    def explain(self) -> str:
        return "; ".join(self.reasons)


def _allow(*reasons: str) -> Decision:
    return Decision("allow", reasons)


def _deny(*reasons: str) -> Decision:
    return Decision("deny", reasons)


# -- grant checks -------------------------------------------------------------------------------


def check_grant(claims: GrantClaims, tool: str, spec: ActionFacts) -> Decision:
    """Whether the grant itself allows `tool` (verb, action list, destructive names)."""
    if spec.verb not in claims.verbs:
        extra = " (draft only: it can never commit)" if spec.verb == "write" else ""
        return _deny(
            f"denied because {tool} is a {spec.verb} and grant {claims.id} allows only "
            f"{', '.join(claims.verbs)}{extra}"
        )
    if claims.actions is not None and not any(matches(p, tool) for p in claims.actions):
        return _deny(f"denied because grant {claims.id} does not list {tool} among its actions")
    if "destructive" in spec.risks and tool not in claims.destructive:
        return _deny(
            f"denied because {tool} is tagged destructive and grant {claims.id} does not name it "
            "in `destructive`; the person must grant it explicitly"
        )
    return _allow(f"{tool} is within grant {claims.id}")


def check_constraints(claims: GrantClaims, request: BaseModel, fields: Mapping[str, str]) -> Decision:
    """Whether each constrained field of `request` lies inside the grant's constraints.

    `fields` maps a request field to its constraint name (`charter.connectors.constrained_fields`).
    """
    problems: list[str] = []
    for field_name, constraint in fields.items():
        allowed = claims.constraints.get(constraint)
        if allowed is None:
            continue
        value = getattr(request, field_name)
        values = value if isinstance(value, list | tuple | set | frozenset) else [value]
        if value is None or not values:
            problems.append(
                f"grant {claims.id} is limited to {constraint} {', '.join(allowed)}: "
                f"name one in `{field_name}`"
            )
            continue
        outside = [str(v) for v in values if not any(matches(p, str(v)) for p in allowed)]
        if outside:
            problems.append(
                f"denied because {field_name}={', '.join(outside)} is outside grant {claims.id}, "
                f"which allows {constraint} {', '.join(allowed)}"
            )
    return _deny(*problems) if problems else _allow("resources within the grant's constraints")


# -- rules --------------------------------------------------------------------------------------


class Rule(BaseModel):
    """One policy rule: when it applies (all given selectors must match) and its outcome."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome
    actions: tuple[str, ...] = Field(default=("*",), description="Tool name patterns, e.g. github_*.")
    verbs: tuple[Verb, ...] = ()
    risks: tuple[Risk, ...] = ()
    reaches: tuple[Reach, ...] = Field(
        default=(), description="Whom the call reaches: person, domain, outsiders, public."
    )
    agents: tuple[str, ...] = Field(
        default=(), description="Agent chain patterns: `triage-*`, `triage-bot/*`, `triage-bot/**`."
    )
    # Conditions on the call's arguments and context, all of which must hold (charter.auth.conditions).
    when: Annotated[tuple[Condition, ...], PlainValidator(parse_conditions)] = ()
    reason: str | None = None

    @field_validator("agents")
    @classmethod
    def _agent_patterns(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            check_agent_pattern(pattern)
        return patterns

    def applies(self, claims: GrantClaims, tool: str, spec: ActionFacts, call: Call | None = None) -> bool:
        return (
            self.selects(tool, spec)
            and (not self.agents or self.names_agent(claims.agent))
            and self.holds(claims, call)
        )

    def selects(self, tool: str, spec: ActionFacts) -> bool:
        """Whether the rule's action, verb and risk selectors pick `tool`."""
        return (
            any(matches(p, tool) for p in self.actions)
            and (not self.verbs or spec.verb in self.verbs)
            and (not self.risks or bool(spec.risks & set(self.risks)))
            and (not self.reaches or reach_of(spec) in self.reaches)
        )

    def holds(self, claims: GrantClaims, call: Call | None) -> bool:
        """Whether every `when` condition holds; without the call's arguments none is known to.

        A condition that cannot be evaluated counts against the call: it makes a deny or an approval
        rule apply and an allow rule not, so an error never loosens a decision.
        """
        if not self.when:
            return True
        if call is None:
            return False
        context = CallContext(claims.agent, claims.id, call.now, call.facts)
        try:
            return all(c.holds(call.request, context) for c in self.when)
        except Exception:
            return self.outcome != "allow"

    def names_agent(self, chain: str) -> bool:
        """Whether the rule's `agents` select the agent `chain` (`triage-bot/sub-1`).

        A rule that waives approval must name the whole chain: a sub-agent never inherits a trust
        given to its parent by name. A rule that denies or requires approval also binds every
        sub-agent of an agent it names, so attenuation can never escape it.
        """
        match = matches_agent if self.outcome == "allow" else matches_agent_or_ancestor
        return any(match(p, chain) for p in self.agents)

    def names(self, tool: str) -> bool:
        """Whether the rule names `tool` exactly rather than through a pattern."""
        return tool in self.actions

    def describe(self, tool: str) -> str:
        if self.reason:
            return self.reason
        verb = {"allow": "allows", "deny": "denies", "approval_required": "requires approval for"}
        return f"a policy rule {verb[self.outcome]} {tool}"


@dataclass(frozen=True)
class Call:
    """What `when` conditions read of one call: its validated request and the time it is made."""

    request: BaseModel
    now: datetime = field(default_factory=utcnow)
    # What the connector read of the resource acted on (`issue`), for conditions that name it.
    facts: Mapping[str, object] = field(default_factory=dict)


class DomainRule(BaseModel):
    """What to do with an address in one of `domains` (`acme.com`, `*.acme.com`, `*`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    domains: tuple[str, ...] = Field(min_length=1)
    outcome: Outcome
    reason: str | None = None

    def covers(self, domain: str) -> bool:
        return any(_domain_matches(p.lower().removeprefix("@"), domain) for p in self.domains)


class RecipientRules(BaseModel):
    """Rules for the addresses a write reaches (every `recipient_field`: to, cc, bcc, attendees).

    The first domain rule that covers an address decides for it; an address no rule covers is
    allowed in the connection account's own domain and needs approval anywhere else.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max: int = Field(default=50, gt=0, description="Deny a write reaching more addresses than this.")
    domains: tuple[DomainRule, ...] = ()


class TaintRules(BaseModel):
    """When a write's arguments count as carrying text the session read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    quote_words: int = Field(default=12, ge=6, le=500, description="Consecutive words always caught.")
    token_chars: int = Field(default=24, ge=12, description="A single letters-and-digits token this long.")


class BulkRules(BaseModel):
    """How many writes of one action a grant runs without a person per window (see agents/rates.py)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    writes: int = Field(default=5, ge=1, description="Writes of one action per window without a person.")
    minutes: int = Field(default=10, ge=1, le=24 * 60, description="The window's length.")
    batch: int = Field(default=25, ge=1, description="Writes one approval of a paused batch covers.")
    actions: dict[str, int] = Field(
        default_factory=dict, description="Tool-name patterns with a rate of their own (first match)."
    )

    def writes_for(self, tool: str) -> int:
        return next((n for p, n in self.actions.items() if matches(p, tool)), self.writes)


class _PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approval_ttl_minutes: int = Field(default=24 * 60, gt=0)
    approved_ttl_minutes: int = Field(default=60, gt=0)
    # A ready-made policy (auth/policies/NAME.yaml) whose rules come before this file's own.
    pack: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9-]{0,40}$")
    rules: list[Rule] = []
    recipients: RecipientRules = RecipientRules()
    taint: TaintRules = TaintRules()
    bulk: BulkRules = BulkRules()


@dataclass(frozen=True)
class Policy:
    """The safe defaults plus the person's rules; `decide` explains every outcome."""

    rules: tuple[Rule, ...] = ()
    approval_ttl: timedelta = timedelta(hours=24)
    recipients: RecipientRules = field(default_factory=RecipientRules)
    taint: TaintRules = field(default_factory=TaintRules)
    # How long a person's approval stays usable: a call not run by then must ask again.
    approved_ttl: timedelta = timedelta(hours=1)
    bulk: BulkRules = field(default_factory=BulkRules)
    # Where each rule was written (`policy.yaml:12`), for messages; empty for a policy built in code.
    origins: tuple[str, ...] = ()

    @property
    def conditional(self) -> bool:
        """Whether any rule has `when` conditions (which must be type-checked against the actions)."""
        return any(r.when for r in self.rules)

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, object],
        *,
        source: str = "policy",
        lines: Mapping[tuple[str | int, ...], int] = {},
    ) -> Policy:
        """A policy from plain data: {approval_ttl_minutes, approved_ttl_minutes, rules: [...], ...}."""
        try:
            parsed = _PolicyFile.model_validate(dict(data))
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            at = where(source, lines, first["loc"])
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'policy'}: {e['msg']}" for e in exc.errors()
            )
            raise PolicyInvalid(f"{at}: invalid policy: {problems}", file=source, at=at) from None
        rules = tuple(_placed(r, i, source, lines) for i, r in enumerate(parsed.rules))
        own = cls(
            rules,
            timedelta(minutes=parsed.approval_ttl_minutes),
            parsed.recipients,
            parsed.taint,
            timedelta(minutes=parsed.approved_ttl_minutes),
            parsed.bulk,
            tuple(where(source, lines, ("rules", i)) for i in range(len(rules))),
        )
        return own if parsed.pack is None else _on_pack(own, parsed, where(source, lines, ("pack",)))

    @classmethod
    def pack(cls, name: str) -> Policy:
        """The ready-made policy called `name` (see `pack_names()`), e.g. `triage-bot`."""
        path = PACKS_DIR / f"{name}.yaml"
        if name not in pack_names():
            known = ", ".join(pack_names())
            raise PolicyInvalid(f"there is no policy pack {name!r}; the packs are {known}", pack=name)
        return cls.from_yaml(path.read_text(), source=f"pack {name}")

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "policy") -> Policy:
        data, lines = read_yaml(text, source)
        data = data or {}
        if not isinstance(data, dict):
            raise PolicyInvalid(f"{source}: a policy file must be a mapping with `rules:`", file=source)
        return cls.from_dict(data, source=source, lines=lines)

    @classmethod
    def load(cls, path: Path) -> Policy:
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyInvalid(f"cannot read the policy file {path}: {exc}", file=str(path)) from None
        return cls.from_yaml(text, source=str(path))

    @classmethod
    def for_home(cls, home: CharterHome) -> Policy:
        """The home's `policy.yaml` if the person wrote one, else the default shipped with Charter."""
        path = home.path / POLICY_FILE
        return cls.load(path if path.exists() else DEFAULT_POLICY_FILE)

    def decide(self, claims: GrantClaims, tool: str, spec: ActionFacts, call: Call | None = None) -> Decision:
        """Allow, deny or require approval for `tool` under `claims` (and the call's arguments)."""
        if spec.verb == "write" and "write" not in claims.verbs:
            return _deny(f"denied because grant {claims.id} is draft only: {tool} would commit")
        destructive = "destructive" in spec.risks
        if destructive and tool not in claims.destructive:
            return _deny(
                f"denied because {tool} is tagged destructive and grant {claims.id} does not name it"
            )
        matched = [r for r in self.rules if r.applies(claims, tool, spec, call)]
        denies = [r.describe(tool) for r in matched if r.outcome == "deny"]
        if denies:
            return _deny(*(f"denied because {d}" for d in denies))
        required = [r.describe(tool) for r in matched if r.outcome == "approval_required"]
        baseline = _baseline(claims, tool, spec)
        if required:
            extra = baseline.reasons if baseline.outcome == "approval_required" else ()
            return Decision("approval_required", (*extra, *(f"approval required: {d}" for d in required)))
        if baseline.outcome == "approval_required":
            waivers = [r for r in matched if r.outcome == "allow" and (not destructive or r.names(tool))]
            if waivers:
                return _allow(*(f"approval waived: {r.describe(tool)}" for r in waivers))
        return baseline

    def check_recipients(self, tool: str, addresses: Sequence[str], own_domain: str | None) -> Decision:
        """Domain rules and the maximum count for the addresses a write to `tool` reaches."""
        unique = list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))
        limit = self.recipients.max
        if len(unique) > limit:
            return _deny(
                f"denied because {tool} would reach {len(unique)} addresses and the policy allows at "
                f"most {limit}; send to fewer people or ask the person to do it"
            )
        verdicts = [self._recipient(tool, a, own_domain) for a in unique]
        return combine(_allow(f"{tool} reaches {len(unique)} allowed address(es)"), *verdicts)

    def _recipient(self, tool: str, address: str, own_domain: str | None) -> Decision:
        domain = address.rpartition("@")[2]
        if "@" not in address or not domain:
            return Decision("approval_required", (f"approval required because {address!r} has no domain",))
        for rule in self.recipients.domains:
            if rule.covers(domain):
                why = rule.reason or f"a recipient rule covers {domain}"
                return Decision(rule.outcome, (_recipient_reason(rule.outcome, address, why),))
        if own_domain and domain == own_domain.lower():
            return _allow(f"{address} is in the account's own domain")
        return Decision(
            "approval_required",
            (f"approval required because {tool} reaches {address}, outside the account's own domain",),
        )


def pack_names() -> list[str]:
    """The ready-made policies shipped with Charter."""
    return sorted(p.stem for p in PACKS_DIR.glob("*.yaml"))


def _on_pack(own: Policy, parsed: _PolicyFile, at: str) -> Policy:
    """`own` on top of the pack it names: the pack's rules first; settings the file gives win."""
    if parsed.pack is None:
        return own
    try:
        base = Policy.pack(parsed.pack)
    except PolicyInvalid as exc:
        raise PolicyInvalid(f"{at}: {exc.message}", at=at) from None
    given = parsed.model_fields_set
    return replace(
        own,
        rules=base.rules + own.rules,
        origins=base.origins + own.origins,
        approval_ttl=own.approval_ttl if "approval_ttl_minutes" in given else base.approval_ttl,
        approved_ttl=own.approved_ttl if "approved_ttl_minutes" in given else base.approved_ttl,
        recipients=own.recipients if "recipients" in given else base.recipients,
        taint=own.taint if "taint" in given else base.taint,
        bulk=own.bulk if "bulk" in given else base.bulk,
    )


def _placed(rule: Rule, index: int, source: str, lines: Mapping[tuple[str | int, ...], int]) -> Rule:
    """The rule with each condition knowing its file and line, for the type checker's messages."""
    if not rule.when:
        return rule
    placed = tuple(
        replace(c, where=where(source, lines, ("rules", index, "when", n) if len(rule.when) > 1 else
                                                 ("rules", index, "when")))
        for n, c in enumerate(rule.when)
    )  # fmt: skip
    return rule.model_copy(update={"when": placed})


def _recipient_reason(outcome: Outcome, address: str, why: str) -> str:
    if outcome == "allow":
        return f"allowed {address}: {why}"
    prefix = "denied because" if outcome == "deny" else "approval required because"
    return f"{prefix} {why} ({address})"


def _domain_matches(pattern: str, domain: str) -> bool:
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return domain.endswith(pattern[1:])
    return domain == pattern


def combine(*decisions: Decision) -> Decision:
    """Several checks as one: any deny wins with its reasons, then any approval, else allow."""
    strict: tuple[Outcome, ...] = ("deny", "approval_required")
    for outcome in strict:
        reasons = tuple(r for d in decisions if d.outcome == outcome for r in d.reasons)
        if reasons:
            return Decision(outcome, reasons)
    return decisions[0] if decisions else _allow("no checks apply")


def reach_of(spec: ActionFacts) -> str | None:
    """Whom the call reaches, as its (per-call) declaration says; None when it says nothing."""
    reach = getattr(spec, "reach", None)
    return reach if isinstance(reach, str) else None


def _baseline(claims: GrantClaims, tool: str, spec: ActionFacts) -> Decision:
    if spec.verb != "write":
        return _allow(f"allowed: {tool} is a {spec.verb} within grant {claims.id}")
    reasons = [
        f"approval required because {tool} {RISK_WORDS[r]}" if r in RISK_WORDS else
        f"approval required because {tool} is tagged {r}"
        for r in APPROVAL_RISKS
        if r in spec.risks
    ]  # fmt: skip
    reach = reach_of(spec)
    # Whom it reaches is said only when no tag already explains the pause.
    if reasons:
        pass
    elif reach is None:
        reasons.append(f"approval required because {tool} does not declare whom it reaches")
    elif reach in REACH_WORDS:
        reasons.append(f"approval required because {tool} reaches {REACH_WORDS[reach]}")
    if reasons:
        return Decision("approval_required", tuple(reasons))
    return _allow(
        f"allowed: {tool} writes within grant {claims.id}, reaches only the person and hides, "
        "removes or rewrites nothing"
    )


def decide_all(
    policy: Policy,
    claims: GrantClaims,
    tool: str,
    spec: ActionFacts,
    request: BaseModel,
    fields: Mapping[str, str],
    now: datetime | None = None,
    facts: Mapping[str, object] | None = None,
) -> Decision:
    """Grant check, then resource constraints, then policy: the first refusal wins."""
    for decision in (check_grant(claims, tool, spec), check_constraints(claims, request, fields)):
        if decision.outcome == "deny":
            return decision
    return policy.decide(claims, tool, spec, Call(request, now or utcnow(), facts or {}))


__all__ = [
    "APPROVAL_RISKS",
    "REACH_WORDS",
    "ActionFacts",
    "BulkRules",
    "Call",
    "Decision",
    "DomainRule",
    "Outcome",
    "Policy",
    "RecipientRules",
    "Rule",
    "TaintRules",
    "check_constraints",
    "check_grant",
    "combine",
    "decide_all",
    "pack_names",
    "reach_of",
]

"""Pure rules of grant claims: resource patterns, claim validation, and attenuation.

Kept free of I/O so the rules that decide what an agent may touch can be tested directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from charter.schemas import VERBS, GrantClaims, ValidationError, Verb


def matches(pattern: str, value: str) -> bool:
    """Whether `value` is allowed by `pattern`; a trailing `*` matches any suffix (`acme/*`)."""
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


AGENT_SEPARATOR = "/"
MAX_AGENT_CHAIN = 255  # what the grants table keeps of a chain
# An agent's own name: no separator (it would forge a place in a chain), no glob, nothing invisible.
_AGENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


def check_agent_name(name: str, *, sub: bool = False) -> str:
    """One agent name (a root agent, or a sub-agent's own name under its parent), or `ValidationError`."""
    if isinstance(name, str) and _AGENT_NAME.fullmatch(name):
        return name
    who = "a sub-agent's name" if sub else "an agent name"
    under = " (it is named under its parent: parent/NAME, so give NAME only)" if sub else ""
    raise ValidationError(
        f"{who} must be 1-64 ASCII letters, digits or . _ @ + -, starting with a letter or digit, "
        f"with no `/` or `*`{under}; got {name!r}"
    )


def child_agent(parent_agent: str, name: str | None) -> str:
    """The chain a sub-agent is named by: its parent's chain, `/`, its own name (default `sub`)."""
    chain = f"{parent_agent}{AGENT_SEPARATOR}{check_agent_name(name or 'sub', sub=True)}"
    if len(chain) > MAX_AGENT_CHAIN:
        raise ValidationError(
            f"the sub-agent chain {chain[:60]!r}… is longer than {MAX_AGENT_CHAIN} characters"
        )
    return chain


def check_agent_pattern(pattern: str) -> str:
    """An `agents:` pattern, or ValueError: each segment a name, a name prefix and `*`, or a last `**`."""
    segments = pattern.split(AGENT_SEPARATOR)
    if len(segments) > 1 and segments[-1] == "**":
        segments.pop()  # all descendants of what comes before
    for segment in segments:
        if segment != "*" and not _AGENT_NAME.fullmatch(segment.removesuffix("*")):
            raise ValueError(
                f"agent pattern {pattern!r}: each `/` segment is a name, a name prefix ending in `*`, "
                "or (last, after a name) `**`"
            )
    return pattern


def matches_agent(pattern: str, chain: str) -> bool:
    """Whether a policy `agents:` pattern names exactly the agent `chain` (e.g. `triage-bot/sub-1`).

    The pattern is matched segment by segment: `*` (trailing, as everywhere) never crosses a `/`,
    and a last segment `**` matches one or more further segments. So `triage-*` names root agents
    only, `triage-bot/*` its direct sub-agents, `triage-bot/**` all its descendants.
    """
    wanted = pattern.split(AGENT_SEPARATOR)
    names = chain.split(AGENT_SEPARATOR)
    if wanted[-1] == "**":
        return len(names) > len(wanted) - 1 and _segments_match(wanted[:-1], names[: len(wanted) - 1])
    return len(names) == len(wanted) and _segments_match(wanted, names)


def matches_agent_or_ancestor(pattern: str, chain: str) -> bool:
    """Whether `pattern` names `chain` or an ancestor: what restricts a parent binds its sub-agents."""
    names = chain.split(AGENT_SEPARATOR)
    return any(matches_agent(pattern, AGENT_SEPARATOR.join(names[:n])) for n in range(1, len(names) + 1))


def _segments_match(patterns: Sequence[str], names: Sequence[str]) -> bool:
    return all(matches(p, n) for p, n in zip(patterns, names, strict=True))


def covers(parent: str, child: str) -> bool:
    """Whether every value `child` allows is also allowed by `parent` (both may be globs)."""
    # A child glob's matches all start with its prefix, so a prefix test on the child's text is exact.
    return matches(parent, child)


def covered(parents: Iterable[str], children: Iterable[str]) -> list[str]:
    """The child patterns no parent pattern covers."""
    parents = tuple(parents)
    return [c for c in children if not any(covers(p, c) for p in parents)]


def check_patterns(axis: str, values: Sequence[str], *, globs: bool = True) -> tuple[str, ...]:
    """Pattern values for a grant axis, refused unless non-empty with at most a trailing `*`."""
    for value in values:
        if not isinstance(value, str) or not value:
            raise ValidationError(f"{axis} values must be non-empty strings")
        if "*" in value[:-1] or (value.endswith("*") and not globs):
            where = "only as the last character" if globs else "nowhere (name each one explicitly)"
            raise ValidationError(f"{axis} value {value!r}: `*` is allowed {where}")
    return tuple(values)


def check_constraints(constraints: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Resource constraints as a grant stores them; a bare string counts as one value."""
    out: dict[str, tuple[str, ...]] = {}
    for name, values in constraints.items():
        if isinstance(values, str):
            values = (values,)
        if not values:
            raise ValidationError(f"constraint {name!r} has no values; drop it or name what is allowed")
        out[name] = check_patterns(f"constraint {name!r}", tuple(values))
    return out


def check_verbs(verbs: Iterable[str]) -> tuple[Verb, ...]:
    """Verbs in canonical order, refused unless a non-empty subset of read, draft, write."""
    wanted = set(verbs)
    unknown = wanted - set(VERBS)
    if unknown or not wanted:
        raise ValidationError(f"verbs must be a non-empty subset of {VERBS}; got {sorted(wanted)}")
    return tuple(v for v in VERBS if v in wanted)


def attenuation_problem(
    parent: GrantClaims, child: GrantClaims, parent_remaining: int | None
) -> tuple[str, str] | None:
    """The first axis on which `child` is wider than `parent`, as (axis, explanation), or None."""
    if not child.agent.startswith(parent.agent + AGENT_SEPARATOR):
        return "agent", f"a sub-agent is named under its parent {parent.agent!r}, not {child.agent!r}"
    extra = sorted(set(child.connections) - set(parent.connections))
    if extra:
        return "connections", f"connections {extra} are not in the parent grant"
    extra = sorted(set(child.verbs) - set(parent.verbs))
    if extra:
        return "verbs", f"verbs {extra} are not in the parent grant"
    if parent.actions is not None:
        if child.actions is None:
            return "actions", "the parent lists its allowed actions; the child must list a subset"
        wider = covered(parent.actions, child.actions)
        if wider:
            return "actions", f"actions {wider} are not allowed by the parent grant"
    extra = sorted(set(child.destructive) - set(parent.destructive))
    if extra:
        return "destructive", f"destructive actions {extra} are not named by the parent grant"
    for name, allowed in parent.constraints.items():
        if name not in child.constraints:
            return "constraints", f"constraint {name!r} of the parent cannot be dropped"
        wider = covered(allowed, child.constraints[name])
        if wider:
            return (
                "constraints",
                f"constraint {name!r}: values {wider} are outside the parent's {list(allowed)}",
            )
    if parent_remaining is not None and (child.budget is None or child.budget > parent_remaining):
        return "budget", f"the budget may be at most the parent's remaining {parent_remaining} calls"
    if child.expires_at > parent.expires_at:
        return (
            "expiry",
            f"expiry: the child may not outlive its parent (expires {parent.expires_at.isoformat()})",
        )
    return None


__all__ = [
    "AGENT_SEPARATOR",
    "attenuation_problem",
    "check_agent_name",
    "check_agent_pattern",
    "check_constraints",
    "check_patterns",
    "check_verbs",
    "child_agent",
    "covered",
    "covers",
    "matches",
    "matches_agent",
    "matches_agent_or_ancestor",
]

"""The condition language of policy rules: `len(to) > 5`, `size(content) > 10MB`, `labels contains "x"`.

A rule's `when` holds one or more conditions over the call's validated arguments (the fields of the
action's request model, by name, dotted for nested models) and its context (`grant.agent`,
`grant.depth`, `grant.id`, `hours("mon-fri 09:00-18:00", "Europe/Paris")`). Conditions are parsed
when the policy loads and type-checked against every action the rule can select
(`check_condition`), so a field the action lacks or a comparison of the wrong type is refused then,
not found as a silent non-match on a live call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel

from charter.auth.condition_syntax import (
    ORDER_OPS,
    Binary,
    Call,
    ConditionSyntax,
    Field_,
    Literal_,
    Logic,
    Node,
    parse,
)
from charter.auth.condition_types import BOOL, NUM, STR, Type, model_type, render, value_type
from charter.schemas import ConfigurationError


class PolicyInvalid(ConfigurationError):
    """A policy file is wrong: where (file, line) and why; nothing of it was used."""

    code = "policy_invalid"


@dataclass(frozen=True)
class CallContext:
    """What a condition may read besides the arguments: who calls, under which grant, and when."""

    agent: str
    grant_id: str
    now: datetime
    # Facts of the resource the call acts on, by name (`issue`), as the connector read them.
    facts: Mapping[str, object] = field(default_factory=dict)


# -- a parsed, typed condition --------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One condition as written and as parsed; `holds` evaluates it on one call."""

    text: str
    tree: Node
    # Where it was written (`policy.yaml:12`), filled in by the policy loader for its messages.
    where: str = ""

    max_items: ClassVar[int] = 20

    @classmethod
    def parse(cls, text: str) -> Condition:
        return cls(text, parse(text))

    def check(
        self, tool: str, request: type[BaseModel], facts: Mapping[str, type[BaseModel]] | None = None
    ) -> None:
        """Refuse (PolicyInvalid) when the condition does not type as true/false for `tool`."""
        args = model_type(request)
        if facts:
            args = Type(
                "model", fields={**(args.fields or {}), **{k: model_type(m) for k, m in facts.items()}}
            )
        try:
            kind = _type(self.tree, args)
        except TypeError as exc:
            raise PolicyInvalid(f"{self.where or 'policy'}: `{self.text}` for {tool}: {exc}") from None
        if kind != BOOL:
            raise PolicyInvalid(
                f"{self.where or 'policy'}: `{self.text}` is a {render(kind)}, not a condition "
                "(compare it, e.g. `len(to) > 5`)"
            )

    @property
    def names(self) -> frozenset[str]:
        """The first part of every field it reads (`issue` of `issue.labels`)."""
        return _names(self.tree)

    def holds(self, request: BaseModel, context: CallContext) -> bool:
        return bool(_eval(self.tree, request, context))


def _names(node: Node) -> frozenset[str]:
    if isinstance(node, Field_):
        return frozenset(node.path[:1])
    if isinstance(node, Binary):
        return _names(node.left) | _names(node.right)
    if isinstance(node, Call | Logic):
        items = node.args if isinstance(node, Call) else node.items
        return frozenset().union(*(_names(i) for i in items))
    return frozenset()


def parse_conditions(value: object) -> tuple[Condition, ...]:
    """The `when` of a rule: one condition or a list of them (all must hold)."""
    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list | tuple) or not all(isinstance(t, str) for t in texts):
        raise ValueError('`when` is a condition or a list of conditions, e.g. "len(to) > 5"')
    if len(texts) > Condition.max_items:
        raise ValueError(f"`when` holds at most {Condition.max_items} conditions")
    try:
        return tuple(Condition.parse(t) for t in texts)
    except ConditionSyntax as exc:
        raise ValueError(f"the condition does not parse: {exc}") from None


# -- types ----------------------------------------------------------------------------------------

_CONTEXT = Type("model", fields={"agent": STR, "depth": NUM, "id": STR})


def _type(node: Node, args: Type) -> Type:
    if isinstance(node, Literal_):
        return value_type(node.value)
    if isinstance(node, Field_):
        return _field_type(node.path, args)
    if isinstance(node, Logic):
        for item in node.items:
            if _type(item, args) != BOOL:
                raise TypeError(f"`{node.op}` joins conditions, not a {render(_type(item, args))}")
        return BOOL
    if isinstance(node, Call):
        return _call_type(node, args)
    return _binary_type(node, _type(node.left, args), _type(node.right, args), node.right)


def _field_type(path: tuple[str, ...], args: Type) -> Type:
    kind, start = (_CONTEXT, 1) if path[0] == "grant" and "grant" not in (args.fields or {}) else (args, 0)
    for depth, name in enumerate(path[start:], start=start):
        fields = kind.fields or {}
        if name not in fields:
            where = ".".join(path[:depth]) or ("the grant" if start else "the action")
            known = ", ".join(sorted(fields)) or "none"
            raise TypeError(f"{where} has no field `{name}` (it has: {known})")
        kind = fields[name]
    return kind


def _call_type(node: Call, args: Type) -> Type:
    if node.function == "hours":
        texts = [a.value for a in node.args if isinstance(a, Literal_) and isinstance(a.value, str)]
        if len(texts) != 2 or len(node.args) != 2:
            raise TypeError('hours() takes two texts: hours("mon-fri 09:00-18:00", "Europe/Paris")')
        check_hours(texts[0], texts[1])
        return BOOL
    if len(node.args) != 1:
        raise TypeError(f"{node.function}() takes one argument")
    inner = _type(node.args[0], args)
    if node.function == "lower":
        if inner.base != "str":
            raise TypeError(f"lower() needs a text, not a {render(inner)}")
        return STR
    if node.function == "len" and inner.base in ("list", "str", "map"):
        return NUM
    if node.function == "size" and (
        inner.base == "str" or (inner.item is not None and inner.item.base == "str")
    ):
        return NUM
    raise TypeError(f"{node.function}() does not apply to a {render(inner)}")


def _binary_type(node: Binary, left: Type, right: Type, right_node: Node) -> Type:
    op = node.op
    if op in ("+", "-"):
        if left.base == right.base == "num":
            return NUM
        raise TypeError(f"`{op}` adds numbers, not a {render(left)} and a {render(right)}")
    if op in ORDER_OPS:
        if left.base == right.base == "num":
            return BOOL
        raise TypeError(f"`{op}` compares numbers, not a {render(left)} with a {render(right)}")
    if op in ("==", "!="):
        _comparable(left, right, right_node)
        return BOOL
    if op == "in":
        if right.base != "list" or right.item is None:
            raise TypeError(f'`in` needs a list on its right, e.g. ["a", "b"], not a {render(right)}')
        for value in right_node.value if isinstance(right_node, Literal_) else ():  # type: ignore[attr-defined]
            _comparable(left, value_type(value), Literal_(value))
        return BOOL
    if op == "contains" and left.base == "list" and left.item is not None:
        _comparable(left.item, right, right_node)
        return BOOL
    if left.base == right.base == "str":
        return BOOL
    raise TypeError(
        f"`{op}` needs texts (or, for contains, a list), not a {render(left)} and a {render(right)}"
    )


def _comparable(left: Type, right: Type, right_node: Node) -> None:
    if right.base == "null" or left.base == "null":
        other = left if right.base == "null" else right
        if not (other.nullable or other.base in ("null", "any")):
            raise TypeError(f"a {render(left)} is never null")
        return
    if left.base != right.base and "any" not in (left.base, right.base):
        raise TypeError(f"a {render(left)} is never equal to a {render(right)}")
    if left.choices and isinstance(right_node, Literal_) and right_node.value not in left.choices:
        choices = ", ".join(repr(c) for c in sorted(left.choices, key=str))
        raise TypeError(f"{right_node.value!r} is never a value of this field (it is one of {choices})")


# -- evaluation -----------------------------------------------------------------------------------


def _eval(node: Node, request: BaseModel, context: CallContext) -> object:
    if isinstance(node, Literal_):
        return node.value
    if isinstance(node, Field_):
        return _lookup(node.path, request, context)
    if isinstance(node, Logic):
        if node.op == "not":
            return not _eval(node.items[0], request, context)
        results = (bool(_eval(i, request, context)) for i in node.items)
        return all(results) if node.op == "and" else any(results)
    if isinstance(node, Call):
        return _apply(node, request, context)
    return _compare(node.op, _eval(node.left, request, context), _eval(node.right, request, context))


def _lookup(path: tuple[str, ...], request: BaseModel, context: CallContext) -> object:
    if path[0] == "grant" and "grant" not in type(request).model_fields:
        facts = {"agent": context.agent, "depth": context.agent.count("/"), "id": context.grant_id}
        return facts[path[1]]
    value: object = request
    if path[0] in context.facts:
        value, path = context.facts[path[0]], path[1:]
    for name in path:
        if value is None:
            return None
        # A field the request does not have raises: the rule then counts against the call.
        value = value[name] if isinstance(value, Mapping) else getattr(value, name)
    return value


def _apply(node: Call, request: BaseModel, context: CallContext) -> object:
    if node.function == "hours":
        span, zone = (a.value for a in node.args if isinstance(a, Literal_))
        return within_hours(str(span), str(zone), context.now)
    value = _eval(node.args[0], request, context)
    if value is None:
        return None
    if node.function == "lower":
        return str(value).lower()
    if node.function == "len":
        return len(value) if isinstance(value, Sequence | Mapping | set | frozenset) else 0
    items = [value] if isinstance(value, str) else value if isinstance(value, Sequence) else []
    return sum(len(str(v).encode("utf-8")) for v in items)


_COMPARE: Mapping[str, Callable[[object, object], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,  # type: ignore[operator]
    "<=": lambda a, b: a <= b,  # type: ignore[operator]
    ">": lambda a, b: a > b,  # type: ignore[operator]
    ">=": lambda a, b: a >= b,  # type: ignore[operator]
    "+": lambda a, b: a + b,  # type: ignore[operator]
    "-": lambda a, b: a - b,  # type: ignore[operator]
    "in": lambda a, b: a in b,  # type: ignore[operator]
    "contains": lambda a, b: b in a,  # type: ignore[operator]
    "startswith": lambda a, b: str(a).startswith(str(b)),
    "endswith": lambda a, b: str(a).endswith(str(b)),
}


def _compare(op: str, left: object, right: object) -> object:
    if op not in ("==", "!=") and (left is None or right is None):
        # A missing value (an optional field left out) satisfies no comparison but equality to null.
        return None if op in ("+", "-") else False
    return _COMPARE[op](left, right)


# -- time windows ---------------------------------------------------------------------------------

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def within_hours(span: str, zone: str, now: datetime) -> bool:
    """Whether `now` falls in `span` ("mon-fri 09:00-18:00") as read on the clocks of `zone`."""
    days, start, end = parse_hours(span)
    try:
        local = now.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return False
    clock = local.time()
    inside = start <= clock < end if start <= end else (clock >= start or clock < end)
    return local.weekday() in days and inside


def check_hours(span: str, zone: str) -> None:
    """Refuse (TypeError, for the type checker's message) a malformed window or an unknown zone."""
    try:
        parse_hours(span)
    except ValueError as exc:
        raise TypeError(str(exc)) from None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TypeError(f"{zone!r} is not a time zone; name one like Europe/Paris or UTC") from None


def parse_hours(span: str) -> tuple[frozenset[int], time, time]:
    """("mon-fri 09:00-18:00") -> the weekdays and the start and end times; ValueError if malformed."""
    match = re.fullmatch(r"\s*([a-z]{3})(?:-([a-z]{3}))?\s+(\d{2}):(\d{2})-(\d{2}):(\d{2})\s*", span.lower())
    if match is None or match.group(1) not in _DAYS or (match.group(2) or "mon") not in _DAYS:
        raise ValueError(f'{span!r} is not a window like "mon-fri 09:00-18:00"')
    first = _DAYS.index(match.group(1))
    last = _DAYS.index(match.group(2) or match.group(1))
    days = frozenset(d % 7 for d in range(first, last + 1 if last >= first else last + 8))
    h1, m1, h2, m2 = (int(match.group(i)) for i in range(3, 7))
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        raise ValueError(f"{span!r} names a time that does not exist")
    return days, time(h1, m1), time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)


__all__ = [
    "CallContext",
    "Condition",
    "PolicyInvalid",
    "check_hours",
    "parse_conditions",
    "parse_hours",
    "within_hours",
]

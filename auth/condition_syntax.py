"""The syntax of policy conditions: tokens, a recursive-descent parser and the tree it builds."""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>\d+(?:\.\d+)?)(?P<unit>[KMG]i?B|B)?\b
    |(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<op>==|!=|<=|>=|<|>|\+|-|\(|\)|\[|\]|,|\.)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
WORD_OPS = ("contains", "startswith", "endswith", "in")
ORDER_OPS = ("<", "<=", ">", ">=")
FUNCTIONS = ("len", "size", "lower", "hours")
MAX_CONDITION = 2000
MAX_DEPTH = 32


@dataclass(frozen=True)
class Literal_:
    value: object


@dataclass(frozen=True)
class Field_:
    path: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Logic:
    op: str  # "and", "or", "not"
    items: tuple[Node, ...]


Node = Literal_ | Field_ | Call | Binary | Logic


class ConditionSyntax(ValueError):
    """A condition that does not parse; the message says where."""


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ConditionSyntax(f"unexpected {text[pos:].strip()[:20]!r} at character {pos + 1}")
        out.append(match.group(0).strip())
        pos = match.end()
    return out


class _Parser:
    """Recursive descent: or > and > not > comparison > sum > atom."""

    def __init__(self, text: str) -> None:
        if len(text) > MAX_CONDITION:
            raise ConditionSyntax(f"a condition is at most {MAX_CONDITION} characters")
        self.tokens = _tokens(text)
        self.pos = 0
        self.depth = 0

    def _deeper(self) -> None:
        # Parentheses and `not`s nest the parser's recursion: bounded so no input can exhaust the stack.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionSyntax(f"the condition nests deeper than {MAX_DEPTH} levels")

    def parse(self) -> Node:
        if not self.tokens:
            raise ConditionSyntax("the condition is empty")
        node = self._or()
        if self.pos != len(self.tokens):
            raise ConditionSyntax(f"unexpected {self.tokens[self.pos]!r} after a complete condition")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if token is None:
            raise ConditionSyntax(f"the condition ends early{f'; expected {expected!r}' if expected else ''}")
        if expected is not None and token != expected:
            raise ConditionSyntax(f"expected {expected!r}, found {token!r}")
        self.pos += 1
        return token

    def _or(self) -> Node:
        items = [self._and()]
        while self._peek() == "or":
            self._take()
            items.append(self._and())
        return items[0] if len(items) == 1 else Logic("or", tuple(items))

    def _and(self) -> Node:
        items = [self._not()]
        while self._peek() == "and":
            self._take()
            items.append(self._not())
        return items[0] if len(items) == 1 else Logic("and", tuple(items))

    def _not(self) -> Node:
        if self._peek() == "not":
            self._take()
            self._deeper()
            return Logic("not", (self._not(),))
        return self._comparison()

    def _comparison(self) -> Node:
        left = self._sum()
        op = self._peek()
        if op == "not" and self.pos + 1 < len(self.tokens) and self.tokens[self.pos + 1] == "in":
            self.pos += 2
            return Logic("not", (Binary("in", left, self._sum()),))
        if op in ("==", "!=", *ORDER_OPS, *WORD_OPS):
            self._take()
            return Binary(op, left, self._sum())
        return left

    def _sum(self) -> Node:
        node = self._atom()
        while self._peek() in ("+", "-"):
            node = Binary(self._take(), node, self._atom())
        return node

    def _atom(self) -> Node:
        token = self._take()
        if token == "(":
            self._deeper()
            node = self._or()
            self._take(")")
            return node
        if token == "[":
            return self._list()
        if token[0] in "\"'":
            return Literal_(_unquote(token))
        if token[0].isdigit():
            return Literal_(_number(token))
        if token in ("true", "false", "null"):
            return Literal_({"true": True, "false": False, "null": None}[token])
        if not re.fullmatch(r"[A-Za-z_]\w*", token) or token in ("and", "or", "not", *WORD_OPS):
            raise ConditionSyntax(f"expected a field, a value or '(', found {token!r}")
        if self._peek() == "(":
            return self._call(token)
        path = [token]
        while self._peek() == ".":
            self._take()
            path.append(self._take())
        return Field_(tuple(path))

    def _call(self, function: str) -> Node:
        if function not in FUNCTIONS:
            raise ConditionSyntax(f"unknown function {function}(); use one of {', '.join(FUNCTIONS)}")
        self._take("(")
        args = [self._or()]
        while self._peek() == ",":
            self._take()
            args.append(self._or())
        self._take(")")
        return Call(function, tuple(args))

    def _list(self) -> Node:
        values: list[object] = []
        while self._peek() != "]":
            item = self._atom()
            if not isinstance(item, Literal_):
                raise ConditionSyntax('a list holds values only, e.g. ["a", "b"]')
            values.append(item.value)
            if self._peek() != "]":
                self._take(",")
        self._take("]")
        return Literal_(tuple(values))


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


def _number(token: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMG]i?B|B)?", token)
    if match is None:
        raise ConditionSyntax(f"{token!r} is not a number")
    unit = UNITS[(match.group(2) or "B").upper()]
    value = float(match.group(1)) * unit
    return int(value) if value.is_integer() else value


__all__ = [
    "FUNCTIONS", "MAX_CONDITION", "ORDER_OPS", "UNITS", "WORD_OPS",
    "Binary", "Call", "ConditionSyntax", "Field_", "Literal_", "Logic", "Node", "parse",
]  # fmt: skip


def parse(text: str) -> Node:
    """The tree of one condition, or ConditionSyntax saying where it goes wrong."""
    return _Parser(text).parse()

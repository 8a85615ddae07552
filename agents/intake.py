"""What a tool call brings in, checked before anything reads it: a tool name and JSON arguments in bounds.

A call's input comes from a model, a framework or a hostile caller, and can be any value: text
nested a thousand levels deep, a cycle, bytes, NaN, a lone surrogate, a gigabyte. Validation,
policy, previews and the audit digest all walk the arguments, so they are copied here first into
plain JSON data, iteratively and within limits no tool comes near; anything else is refused with a
`ValidationError` whose `reason` names the limit and whose message says what to send instead.
Nothing downstream of this module ever sees a value it could recurse on, overflow or fail to encode.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, cast

from charter.schemas import ValidationError

# Far above what any tool's arguments need (the deepest schema nests 4 levels, the largest field
# is a 1,000,000-character file), far below what could exhaust the stack or the memory.
MAX_DEPTH = 32
MAX_VALUES = 10_000
MAX_TEXT = 4_000_000
MAX_NAME = 128
MAX_ID = 256
# JSON carries numbers beyond 64 bits as text; larger ints also stall `str()` past 4,300 digits.
MAX_INT = 2**64

_NOT_TEXT = re.compile(r"[\ud800-\udfff]")
_NOTHING_SENT = "Nothing was run"


def shown_name(name: object) -> str:
    """`name` as results and the audit log may show it: short, encodable text whatever it was."""
    try:
        if isinstance(name, str):
            return _safe(str.__str__(name), MAX_NAME)
        return f"<{_safe(type(name).__name__, 40)}>"
    except Exception:
        return "<unreadable>"


def tool_name(name: object) -> str:
    """The tool name of a call, or `ValidationError` when it cannot name a tool."""
    what = _problem_with_text(name, MAX_NAME)
    if what is not None:
        raise ValidationError(
            f"the tool name {what}. {_NOTHING_SENT}; call one of the tools this grant lists, by name.",
            reason="bad_name",
        )
    return str.__str__(cast(str, name))


def identifier(value: object, what: str, remedy: str) -> str:
    """An id the caller passes beside the arguments (approval id, idempotency key), checked."""
    problem = _problem_with_text(value, MAX_ID)
    if problem is not None:
        raise ValidationError(f"{what} {problem}. {_NOTHING_SENT}; {remedy}.", reason="bad_id")
    return str.__str__(cast(str, value))


def call_arguments(args: object) -> dict[str, Any]:
    """The arguments as plain JSON data: an object of JSON values, or the JSON text of one.

    Raises `ValidationError` (reasons `not_json`, `not_an_object`, `too_deep`, `too_large`,
    `not_json_value`, `not_text`, `unreadable`) for anything else.
    """
    if args is None:
        return {}
    if isinstance(args, str | bytes | bytearray):
        args = _parsed(args)
    if not isinstance(args, Mapping):
        raise _refused(
            "not_an_object",
            f"the arguments must be a JSON object of named values, not {shown_name(args)[1:-1]}",
        )
    try:
        return _Copy().of(args)
    except ValidationError:
        raise
    except Exception as exc:
        # A mapping whose own code fails while it is read (a hostile `items()`, a broken `__str__`).
        raise _refused(
            "unreadable", f"the arguments could not be read ({type(exc).__name__} while copying them)"
        ) from None


def _parsed(text: str | bytes | bytearray) -> object:
    if len(text) > MAX_TEXT:
        raise _refused("too_large", f"the arguments are more than {MAX_TEXT:,} characters of JSON")
    try:
        return json.loads(text)
    except RecursionError:
        raise _refused("too_deep", f"the arguments nest deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, an integer of thousands of digits
        where = f" ({exc.msg} at position {exc.pos})" if isinstance(exc, json.JSONDecodeError) else ""
        raise _refused("not_json", f"the arguments are not valid JSON{where}") from None


class _Copy:
    """An iterative deep copy into JSON types that counts what it copies and stops at the first excess."""

    def __init__(self) -> None:
        self.values = 0
        self.text = 0

    def of(self, root: Mapping[Any, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        # Each frame: the source container, its copy, its path, its depth.
        stack: list[tuple[object, Any, tuple[str, ...]]] = [(root, out, ())]
        while stack:
            source, copy, path = stack.pop()
            if len(path) >= MAX_DEPTH:
                raise _refused(
                    "too_deep",
                    f"the arguments nest deeper than {MAX_DEPTH} levels (or contain themselves) "
                    f"at {_where(path)}",
                )
            for key, value in _members(source, path):
                name = self._text(key, path) if isinstance(key, str) else f"[{key}]"
                here = (*path, name)
                plain = self._leaf(value, here)
                if isinstance(value, Mapping | list | tuple):
                    plain = {} if isinstance(value, Mapping) else []
                    stack.append((value, plain, here))
                if isinstance(copy, dict):
                    copy[name] = plain
                else:
                    copy.append(plain)
        return out

    def _leaf(self, value: object, path: tuple[str, ...]) -> object:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _refused("too_large", f"the arguments hold more than {MAX_VALUES:,} values")
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str):
            return self._text(value, path)
        if isinstance(value, int):
            if not -MAX_INT < value < MAX_INT:
                raise _refused("not_json_value", f"{_where(path)} is an integer beyond 64 bits")
            return int(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                number = json.dumps(value)
                raise _refused("not_json_value", f"{_where(path)} is {number}, which is not a JSON number")
            return float(value)
        if isinstance(value, Mapping | list | tuple):
            return None  # a container: copied by its own frame
        raise _refused(
            "not_json_value",
            f"{_where(path)} is {shown_name(value)[1:-1]}, which JSON cannot carry (send text, "
            "base64 for binary data)",
        )

    def _text(self, value: str, path: tuple[str, ...]) -> str:
        self.text += len(value)
        if self.text > MAX_TEXT:
            raise _refused("too_large", f"the arguments hold more than {MAX_TEXT:,} characters of text")
        if _NOT_TEXT.search(value):
            raise _refused("not_text", f"{_where(path)} holds a lone surrogate, which is not Unicode text")
        return str.__str__(value)


def _members(source: object, path: tuple[str, ...]) -> list[tuple[object, object]]:
    if isinstance(source, Mapping):
        members = list(source.items())
        for key, _ in members:
            if not isinstance(key, str):
                raise _refused(
                    "not_json_value",
                    f"a key in {_where(path)} is {shown_name(key)[1:-1]}; JSON object keys are text",
                )
        return members
    assert isinstance(source, list | tuple)
    return list(enumerate(source))


def _problem_with_text(value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        return f"must be text, not {shown_name(value)[1:-1]}"
    if not value:
        return "is empty"
    if len(value) > limit:
        return f"is {len(value):,} characters long; at most {limit} are allowed"
    if _NOT_TEXT.search(value):
        return "holds a lone surrogate, which is not Unicode text"
    return None


def _refused(reason: str, problem: str) -> ValidationError:
    return ValidationError(
        f"{problem}. {_NOTHING_SENT}; call again with a JSON object that fits the tool's input schema.",
        reason=reason,
    )


def _where(path: tuple[str, ...]) -> str:
    """A path into the arguments for a message: ASCII, short, whatever the keys hold."""
    if not path:
        return "the arguments"
    shown = ".".join(_safe(p, 30) or '""' for p in path[:6])
    return "`" + shown + (".…" if len(path) > 6 else "") + "`"


def _safe(text: str, limit: int) -> str:
    # `backslashreplace` spells a lone surrogate as `\udc80`, so the result always encodes as UTF-8.
    short = text if len(text) <= limit else text[:limit] + "…"
    return short.encode("utf-8", "backslashreplace").decode("utf-8")


__all__ = [
    "MAX_DEPTH",
    "MAX_ID",
    "MAX_INT",
    "MAX_NAME",
    "MAX_TEXT",
    "MAX_VALUES",
    "call_arguments",
    "identifier",
    "shown_name",
    "tool_name",
]

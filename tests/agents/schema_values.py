"""Hypothesis strategies from a tool's JSON Schema: arguments that fit, that almost fit, that attack.

`fitting(schema)` reads the keywords Charter's compact input schemas use (type, enum, properties,
required, additionalProperties, items, string and array bounds, minimum/maximum, pattern, format,
anyOf); `misfit(schema)` keeps the property names but breaks the rest; `hostile()` is input no
schema describes: nesting past any stack, values JSON cannot carry, text that is not Unicode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from hypothesis import strategies as st

# Plain JSON values of any shape, for fields the schema says nothing useful about.
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_TEXT_CAP = 64


def fitting(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """Values that fit `schema`, as far as its keywords say."""
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    if "anyOf" in schema or "oneOf" in schema:
        return st.one_of(
            [fitting({**b, **_shared(schema)}) for b in schema.get("anyOf", schema.get("oneOf"))]
        )
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([fitting({**schema, "type": k}) for k in kind])
    maker = _MAKERS.get(kind) if isinstance(kind, str) else None
    return maker(schema) if maker is not None else JSON_VALUES


def misfit(schema: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the schema's property names (and others) holding values of any JSON kind."""
    names = list(schema.get("properties", {})) or ["x"]
    keys = st.sampled_from(names) | st.text(max_size=12)
    return st.dictionaries(keys, JSON_VALUES, max_size=6)


def mutated(schema: Mapping[str, Any], example: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A valid example with some fields replaced by values that fit, misfit, or vanished."""
    props: Mapping[str, Any] = schema.get("properties", {})
    if not example or not props:
        return st.just(dict(example))
    field = st.sampled_from(sorted(props))
    replacement = st.tuples(field, st.one_of(fitting(props[n]) for n in sorted(props)) | JSON_VALUES)
    return st.lists(replacement, max_size=3).flatmap(
        lambda changes: st.booleans().map(lambda drop: _apply(example, changes, drop))
    )


def _apply(example: Mapping[str, Any], changes: list[tuple[str, Any]], drop: bool) -> dict[str, Any]:
    out = dict(example)
    for name, value in changes:
        if drop:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _shared(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf", "description", "default")}


def _string(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    low = int(schema.get("minLength", 0))
    high = min(int(schema.get("maxLength", _TEXT_CAP)), max(low, _TEXT_CAP))
    fmt = schema.get("format")
    if fmt == "date-time":
        return st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())
    if fmt == "date":
        return st.dates().map(lambda d: d.isoformat())
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            return st.from_regex(re.compile(pattern), fullmatch=True).filter(lambda s: low <= len(s) <= high)
        except re.error:
            pass
    return st.text(min_size=low, max_size=high)


def _integer(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**40)) + 1)
    high = schema.get("maximum", schema.get("exclusiveMaximum", 2**40) - 1)
    return st.integers(min_value=int(low), max_value=int(high))


def _number(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    return st.floats(
        min_value=schema.get("minimum"),
        max_value=schema.get("maximum"),
        allow_nan=False,
        allow_infinity=False,
    )


def _array(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    items = schema.get("items")
    inner = fitting(items) if isinstance(items, Mapping) else JSON_VALUES
    low = int(schema.get("minItems", 0))
    return st.lists(inner, min_size=low, max_size=min(int(schema.get("maxItems", 4)), low + 4))


def _object(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    props: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {n: fitting(p) for n, p in props.items() if n in required},
        optional={n: fitting(p) for n, p in props.items() if n not in required},
    )


_MAKERS = {
    "string": _string,
    "integer": _integer,
    "number": _number,
    "boolean": lambda _: st.booleans(),
    "null": lambda _: st.none(),
    "array": _array,
    "object": _object,
}


class _Opaque:
    """A value no serializer knows."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr either")


def nested(depth: int) -> Any:
    """Arguments nested `depth` levels deep, lists and objects in turn."""
    return _nested(depth)


def _nested(depth: int) -> Any:
    value: Any = {}
    for n in range(depth):
        value = {"a": value} if n % 2 else [value]
    return {"x": value}


def _cycle() -> dict[str, Any]:
    loop: dict[str, Any] = {}
    loop["self"] = [loop]
    return {"x": loop}


HUGE = "x" * 4_000_001

_NOT_JSON: st.SearchStrategy[Any] = st.one_of(
    st.binary(max_size=8),
    st.sets(st.integers(), max_size=3),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 10**5000, -(2**64), 2**64]),
    st.builds(_Opaque),
    st.just(object()),
    st.text(max_size=4).map(lambda t: t + "\udc80"),
    st.complex_numbers(max_magnitude=10),
)


class Sent:
    """A hostile input with a short repr, so reporting it cannot recurse through it or print megabytes."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        try:
            text = repr(self.value)
        except Exception as exc:
            text = f"<{type(self.value).__name__} whose repr raises {type(exc).__name__}>"
        return f"Sent({text[:120]}{'…' if len(text) > 120 else ''})"


def sent(value: Any) -> Any:
    """What `value` stands for: the input itself when it was wrapped in `Sent`."""
    return value.value if isinstance(value, Sent) else value


def hostile(schema: Mapping[str, Any]) -> st.SearchStrategy[Sent]:
    """Arguments no JSON Schema describes, aimed at the stages after validation."""
    return _hostile(schema).map(Sent)


def _hostile(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    names = st.sampled_from(list(schema.get("properties", {})) or ["x"])
    return st.one_of(
        st.integers(min_value=30, max_value=3000).map(_nested),
        st.builds(_cycle),
        st.tuples(names, _NOT_JSON).map(lambda p: {p[0]: p[1]}),
        st.tuples(names, _NOT_JSON).map(lambda p: {p[0]: [{"deeper": p[1]}]}),
        st.just({(1,): 2}),
        st.just({1: "int key"}),
        st.just({"\udcff": "surrogate key"}),
        names.map(lambda n: {n: HUGE}),
        st.just({f"k{i}": i for i in range(10_001)}),
        JSON_VALUES.filter(lambda v: not isinstance(v, dict)),
        st.sampled_from(["{not json", "[" * 5000, '"text"', b"\xff\xfe{", json.dumps({"x": 1}), ""]),
        _NOT_JSON,
    )


def hostile_names(tool: str) -> st.SearchStrategy[Sent]:
    """Tool names an attacker tries: look-alikes, other types, text that is not Unicode, megabytes."""
    return _hostile_names(tool).map(Sent)


def _hostile_names(tool: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=20),
        st.sampled_from(
            [tool.upper(), tool + " ", tool + "\x00", tool.replace("_", "\u2010"), "\udc80" + tool]
        ),
        st.sampled_from([None, 42, b"github_list_issues", ["x"], {"name": tool}, 3.5, "y" * 1_000_000]),
    )

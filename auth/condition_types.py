"""The types conditions are checked with, read from the connectors' pydantic request models."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel

# Nested models deeper than this are not walked: a condition never needs them, and a model may recurse.
MAX_DEPTH = 4


@dataclass(frozen=True)
class Type:
    """A field's type as conditions see it: text, number, true/false, list, nested model, or opaque."""

    base: str  # "str", "num", "bool", "list", "map", "model", "null", "any"
    item: Type | None = None
    fields: Mapping[str, Type] | None = None
    nullable: bool = False
    choices: frozenset[object] | None = None

    def __eq__(self, other: object) -> bool:
        # Two types agree for a condition when their bases do; nullability and choices are refinements.
        return isinstance(other, Type) and other.base == self.base

    def __hash__(self) -> int:
        return hash(self.base)


STR = Type("str")
NUM = Type("num")
BOOL = Type("bool")
NULL = Type("null", nullable=True)
ANY = Type("any")


def render(kind: Type) -> str:
    """A type in words, for messages: `list of text`, `number`, `nested fields`."""
    names = {"str": "text", "num": "number", "bool": "true/false", "map": "mapping",
             "model": "group of fields", "null": "null", "any": "value of any type"}  # fmt: skip
    if kind.base == "list":
        return f"list of {render(kind.item or ANY)}"
    return names[kind.base]


def value_type(value: object) -> Type:
    """The type of a literal written in a condition."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int | float):
        return NUM
    if isinstance(value, str):
        return STR
    if isinstance(value, tuple):
        items = {value_type(v).base for v in value}
        item = value_type(value[0]) if len(items) == 1 else ANY
        return Type("list", item=item)
    return ANY


@cache
def model_type(model: type[BaseModel]) -> Type:
    """The fields of a request model, walked into nested models, lists, optionals and literals."""
    return _model(model, 0)


def _model(model: type[BaseModel], depth: int) -> Type:
    hints = typing.get_type_hints(model, include_extras=False)
    fields = {name: annotation_type(hints.get(name, info.annotation), depth + 1)
              for name, info in model.model_fields.items()}  # fmt: skip
    return Type("model", fields=fields)


def annotation_type(annotation: object, depth: int = 1) -> Type:
    """The condition type of one annotation (`list[Address]`, `int | None`, `Literal["view", "edit"]`)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return annotation_type(args[0], depth)
    if origin in (typing.Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        kinds = {annotation_type(a, depth) for a in present}
        kind = next(iter(kinds)) if len(kinds) == 1 else ANY
        full = annotation_type(present[0], depth) if len(kinds) == 1 else ANY
        return Type(kind.base, full.item, full.fields, len(present) < len(args), full.choices)
    if origin is typing.Literal:
        bases = {type(a) for a in args}
        base = value_type(args[0]).base if len(bases) == 1 else "any"
        return Type(base, choices=frozenset(args))
    if origin in (list, tuple, set, frozenset) or origin is typing.Sequence:
        item = annotation_type(args[0], depth) if args else ANY
        return Type("list", item=item)
    if origin in (dict, typing.Mapping) or annotation is dict:
        return Type("map")
    return _plain(annotation, depth)


def _plain(annotation: object, depth: int) -> Type:
    if annotation is bool:
        return BOOL
    if annotation in (int, float):
        return NUM
    if annotation is str:
        return STR
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = frozenset(m.value for m in annotation)
        return Type(value_type(next(iter(values))).base if values else "any", choices=values)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model(annotation, depth) if depth <= MAX_DEPTH else Type("model", fields={})
    if isinstance(annotation, type) and issubclass(annotation, str):
        return STR
    return ANY


__all__ = [
    "ANY",
    "BOOL",
    "NULL",
    "NUM",
    "STR",
    "Type",
    "annotation_type",
    "model_type",
    "render",
    "value_type",
]

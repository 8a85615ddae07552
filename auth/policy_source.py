"""A policy file read with the line of every value, so a mistake is reported where it was written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml

from charter.auth.conditions import PolicyInvalid

Loc = tuple[str | int, ...]


def read_yaml(text: str, source: str) -> tuple[object, dict[Loc, int]]:
    """The YAML data of `text` and the 1-based line of each mapping key and list item in it."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyInvalid(f"{source}{line}: not valid YAML: {problem}", file=source) from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*loc, str(key.value))
            _walk(value, child, lines)
            lines[child] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*loc, index), lines)


def line_of(lines: Mapping[Loc, int], loc: Sequence[str | int]) -> int | None:
    """The line of the deepest part of `loc` the file has (a default value has none of its own)."""
    parts = tuple(loc)
    while parts:
        if parts in lines:
            return lines[parts]
        parts = parts[:-1]
    return lines.get(())


def where(source: str, lines: Mapping[Loc, int], loc: Sequence[str | int]) -> str:
    line = line_of(lines, loc)
    return f"{source}:{line}" if line is not None else source


__all__ = ["line_of", "read_yaml", "where"]

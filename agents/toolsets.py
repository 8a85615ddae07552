"""Toolsets: a grant's tools grouped per service and verb, so an agent loads only what a task needs.

A toolset is named `{service}.{verb}` (`github.read`, `gmail.write`; with two connections of one
service, `github_mona.read`). An agent can start with one tiny meta tool, `charter_load_toolset`,
whose description lists the toolsets, and load the rest on demand: loading changes what is listed,
never what is allowed (the grant and policy decide that on every call).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from charter.agents.tools import Tool
from charter.schemas import ValidationError, Verb

LOAD_TOOLSET = "charter_load_toolset"
_VERB_ORDER: dict[str, int] = {"read": 0, "draft": 1, "write": 2}


class Toolset(BaseModel):
    """One group of tools: one service (connection) and one verb."""

    model_config = ConfigDict(frozen=True)

    name: str
    service: str
    verb: Verb
    tools: tuple[str, ...]


def toolset_of(tool: Tool) -> str:
    """The toolset a tool belongs to: its name's prefix and its verb."""
    prefix = tool.name.removesuffix(f"_{tool.action}")
    return f"{prefix}.{tool.verb}"


def group(tools: Iterable[Tool]) -> list[Toolset]:
    """The toolsets of `tools`, by service then read, draft, write."""
    members: dict[str, list[Tool]] = {}
    for tool in tools:
        members.setdefault(toolset_of(tool), []).append(tool)
    sets = [
        Toolset(name=name, service=ts[0].service, verb=ts[0].verb, tools=tuple(t.name for t in ts))
        for name, ts in members.items()
    ]
    return sorted(sets, key=lambda s: (s.name.rpartition(".")[0], _VERB_ORDER[s.verb]))


def load_tool(tools: Sequence[Tool]) -> Tool:
    """The meta tool: its description is the menu of toolsets, one line each."""
    sets = group(tools)
    by_name = {t.name: t for t in tools}
    menu = "; ".join(f"{s.name}: {' '.join(by_name[n].action for n in s.tools)}" for s in sets)
    return Tool(
        name=LOAD_TOOLSET,
        description=f"Load tools by toolset before using them. Toolsets: {menu}.",
        input_schema={
            "type": "object",
            "properties": {"toolsets": {"type": "array", "items": {"enum": [s.name for s in sets]}}},
            "required": ["toolsets"],
            "additionalProperties": False,
        },
        verb="read",
        service="charter",
        connection="",
        action="load_toolset",
        output_schema={
            "type": "object",
            "properties": {
                "loaded": {"type": "array", "items": {"type": "string"}},
                "tools": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["loaded", "tools"],
        },
    )


class Toolsets:
    """Which toolsets one Toolkit session has loaded, and the tool lists that follow from it."""

    def __init__(self) -> None:
        self._loaded: set[str] = set()
        self._lock = threading.Lock()

    @property
    def loaded(self) -> frozenset[str]:
        return frozenset(self._loaded)

    def view(self, allowed: list[Tool], toolsets: Sequence[str] | None, on_demand: bool) -> list[Tool]:
        """The tools to list: all, those of `toolsets`, or (on demand) the meta tool and what is loaded."""
        names = _checked(allowed, toolsets) if toolsets is not None else None
        if on_demand:
            self.load(allowed, names or ())
            with self._lock:
                names = set(self._loaded)
            return [load_tool(allowed), *[t for t in allowed if toolset_of(t) in names]]
        return allowed if names is None else [t for t in allowed if toolset_of(t) in names]

    def load(self, allowed: list[Tool], toolsets: Iterable[str]) -> list[Tool]:
        """Mark `toolsets` loaded; their tools, to hand to the agent now."""
        names = _checked(allowed, list(toolsets))
        with self._lock:
            self._loaded |= names
        return [t for t in allowed if toolset_of(t) in names]

    def load_call(self, allowed: list[Tool], args: dict[str, Any]) -> dict[str, Any]:
        """What `charter_load_toolset` returns: the loaded tools, described as the model needs them."""
        requested = args.get("toolsets")
        if not isinstance(requested, list) or set(args) != {"toolsets"}:
            raise ValidationError(
                f"invalid arguments for {LOAD_TOOLSET}: pass {{'toolsets': ['<service>.<verb>', ...]}}"
            )
        tools = self.load(allowed, [str(n) for n in requested])
        return {
            "loaded": sorted({toolset_of(t) for t in tools}),
            "tools": [
                {"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in tools
            ],
        }


def _checked(allowed: list[Tool], names: Sequence[str]) -> set[str]:
    known = {toolset_of(t) for t in allowed}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValidationError(
            f"no toolset {', '.join(map(repr, unknown))} in this grant; "
            f"its toolsets are: {', '.join(sorted(known)) or 'none'}",
            toolsets=sorted(known),
        )
    return set(names)


__all__ = ["LOAD_TOOLSET", "Toolset", "Toolsets", "group", "load_tool", "toolset_of"]

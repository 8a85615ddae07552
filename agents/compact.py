"""The compact form of a tool list: what a model needs to call each tool, in as few tokens as possible.

A five-service grant lists ~90 tools; in full (descriptions, every bound and pattern, output
schemas) that is a large slice of every turn's context. The compact form keeps each tool's name,
the first sentence of its description, and its input schema's shape: property names, types,
enums, formats, defaults, required fields and each property's description when its first
sentence is short. It drops what the server checks anyway (patterns, numeric, length and item
bounds, `additionalProperties`) and the output schema. Nothing is lost for safety: every
call is validated in full by the request model, and an argument that breaks a rule gets an error
naming it.
"""

from __future__ import annotations

import re
from typing import Any

from charter.agents.tools import Tool

# A tool description longer than this is cut to its first sentence.
MAX_DESCRIPTION = 90
# A property's description is kept (its first sentence) only when that fits in this many characters.
MAX_PROPERTY_DESCRIPTION = 45
_DROPPED = frozenset(
    {
        "pattern",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minimum",
        "maximum",
        "additionalProperties",
    }
)
# "1 to 250." or "Items per page, 1 to 100." restates bounds the server checks.
_BOUNDS_ONLY = re.compile(r"^[\w ,]*\d+ to \d+\.?$")
_SENTENCE_END = re.compile(r"(?<=[.;])\s")
# A `date-time` format says what its description spells out (ISO 8601 with an offset).
_SELF_DESCRIBED = frozenset({"date-time", "date"})


def first_sentence(text: str) -> str:
    """`text` up to its first sentence (or `;` clause) end, whitespace folded, the stop dropped."""
    text = " ".join(text.split())
    end = _SENTENCE_END.search(text)
    return (text[: end.start()] if end else text).rstrip(".;")


def _description(node: dict[str, Any], text: str) -> str | None:
    if node.get("format") in _SELF_DESCRIBED:
        return None
    first = first_sentence(text)
    if _BOUNDS_ONLY.match(first) or len(first) > MAX_PROPERTY_DESCRIPTION:
        return None
    return first


def compact_schema(node: Any) -> Any:
    """An input schema with only what a model needs to fill it in."""
    if isinstance(node, list):
        return [compact_schema(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "description" and isinstance(value, str):
            kept = _description(node, value)
            if kept is not None:
                out[key] = kept
        elif key == "properties" and isinstance(value, dict):
            out[key] = {name: compact_schema(prop) for name, prop in value.items()}
        else:
            out[key] = compact_schema(value)
    return out


def compact_tool(tool: Tool) -> Tool:
    """`tool` in its compact form: a short description, a lean input schema, no output schema."""
    return tool.model_copy(
        update={
            "description": (
                tool.description
                if len(tool.description) <= MAX_DESCRIPTION
                else first_sentence(tool.description)
            ),
            "input_schema": compact_schema(tool.input_schema),
            "output_schema": None,
        }
    )


__all__ = ["MAX_DESCRIPTION", "MAX_PROPERTY_DESCRIPTION", "compact_schema", "compact_tool", "first_sentence"]

"""OpenAI strict mode: a tool's JSON Schema rewritten to the subset strict function calling accepts.

Strict mode wants every object closed (`additionalProperties: false`) and every property required,
an optional one expressed as nullable; it rejects keywords outside its subset. The rewrite keeps
what the model needs to produce a valid call and drops validation-only keywords (`minLength`,
`default`, ...): the Toolkit validates every call against the full schema anyway. A schema that
cannot be expressed (an open map, `oneOf`, a property listed as required but not described) gets
`None`, and its tool is exported with `strict: false`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# Annotation and constraint keywords strict mode accepts; everything else is dropped.
_KEPT = (
    "description",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
)
_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})
# Keywords whose meaning strict mode cannot express: the whole tool falls back to strict=false.
_UNSUPPORTED = frozenset(
    {"allOf", "oneOf", "not", "if", "then", "else", "$ref", "patternProperties", "prefixItems",
     "dependentRequired", "dependentSchemas", "unevaluatedProperties", "propertyNames"}
)  # fmt: skip
_MAX_DEPTH = 10
_NULL: dict[str, Any] = {"type": "null"}


class _NotStrict(Exception):
    """The schema uses something strict mode cannot express."""


def strict_schema(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """`schema` rewritten for OpenAI strict mode, or None when strict mode cannot express it."""
    if schema.get("type") != "object" or "anyOf" in schema:
        return None
    try:
        return _node(schema, 0)
    except _NotStrict:
        return None


def _node(node: Mapping[str, Any], depth: int) -> dict[str, Any]:
    if depth > _MAX_DEPTH or _UNSUPPORTED & node.keys():
        raise _NotStrict
    out: dict[str, Any] = {k: node[k] for k in _KEPT if k in node}
    if "type" in node:
        out["type"] = node["type"]
    if isinstance(node.get("pattern"), str) and _portable(node["pattern"]):
        out["pattern"] = node["pattern"]
    if node.get("format") in _FORMATS:
        out["format"] = node["format"]
    if "anyOf" in node:
        out["anyOf"] = [_node(branch, depth + 1) for branch in node["anyOf"]]
    if node.get("type") == "object" or "properties" in node:
        out.update(_object(node, depth))
    elif node.get("type") == "array" or "items" in node:
        if not isinstance(node.get("items"), Mapping):
            raise _NotStrict
        out["items"] = _node(node["items"], depth + 1)
    if not {"type", "anyOf", "enum", "const"} & out.keys():
        raise _NotStrict  # an unconstrained value: strict mode needs a type for every schema
    return out


def _object(node: Mapping[str, Any], depth: int) -> dict[str, Any]:
    properties = node.get("properties", {})
    required = set(node.get("required", ()))
    # An open object (a map of labels, say) has no fixed keys to require.
    if node.get("additionalProperties", False) is not False or not required <= properties.keys():
        raise _NotStrict
    converted: dict[str, Any] = {}
    for name, prop in properties.items():
        value = _node(prop, depth + 1)
        converted[name] = value if name in required else _optional(value, prop)
    return {
        "type": "object",
        "properties": converted,
        "required": list(properties),
        "additionalProperties": False,
    }


def _optional(node: dict[str, Any], original: Mapping[str, Any]) -> dict[str, Any]:
    """An optional property as strict mode wants it: required, but null allowed, meaning 'omitted'."""
    out = dict(node)
    default = original.get("default")
    if default is not None:
        note = f"null for the default ({json.dumps(default)})."
        out["description"] = f"{out['description']} {note}" if out.get("description") else "N" + note[1:]
    if allows_null(out):
        return out
    if "anyOf" in out:
        out["anyOf"] = [*out["anyOf"], _NULL]
    elif isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    elif isinstance(out.get("type"), list):
        out["type"] = [*out["type"], "null"]
    elif "const" in out:
        const = out.pop("const")
        return {**out, "anyOf": [{"const": const}, _NULL]}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def allows_null(node: Mapping[str, Any]) -> bool:
    """Whether a JSON Schema accepts null (by type, enum, const or an anyOf branch)."""
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if None in node.get("enum", ()) or ("const" in node and node["const"] is None):
        return True
    return any(allows_null(branch) for branch in node.get("anyOf", ()))


def _portable(pattern: str) -> bool:
    # Lookarounds and backreferences are outside the regular subset strict decoding supports.
    return "(?" not in pattern and re.search(r"\\[1-9]", pattern) is None


def without_nulls(args: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the nulls strict mode made the model send for omitted optional properties.

    A property whose own schema accepts null keeps it: there null is a value, not an omission.
    """
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    out: dict[str, Any] = {}
    for name, value in args.items():
        prop = properties.get(name)
        if prop is None:
            out[name] = value
        elif value is None and name not in required and not allows_null(prop):
            continue
        elif isinstance(value, Mapping) and "properties" in prop:
            out[name] = without_nulls(value, prop)
        elif isinstance(value, list) and isinstance(prop.get("items"), Mapping):
            items = prop["items"]
            out[name] = [
                without_nulls(v, items) if isinstance(v, Mapping) and "properties" in items else v
                for v in value
            ]
        else:
            out[name] = value
    return out


__all__ = ["allows_null", "strict_schema", "without_nulls"]

"""Request bodies checked against the discovery document's schema, as Google's front end checks them.

A field of the wrong JSON type (an `organizer` that is a number, `addLabelIds` that is text) never
reaches a handler: Google answers 400 `Invalid value at 'FIELD' (TYPE), VALUE` before the service
sees the call. Only types are checked here; what a valid value means is each handler's business.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from charter.sandboxes.google.discovery import Api, DiscoveryMethod, load_document
from charter.sandboxes.google.errors import GoogleError

_PACKAGES: dict[Api, str] = {"gmail": "google.apps.gmail.v1", "calendar": "google.apps.calendar.v3"}
# How deep the check follows nested objects; message parts nest without end, real bodies do not.
_DEPTH = 6


def check_body(method: DiscoveryMethod, body: dict[str, Any]) -> None:
    """Google's 400 for the first field of `body` whose JSON type its request schema does not allow."""
    if method.request is None:
        return
    todo: list[tuple[str, dict[str, Any], str, int]] = [("", body, method.request, 0)]
    while todo:
        prefix, value, ref, depth = todo.pop()
        fields = _fields(method.api, ref)
        for name, item in value.items():
            schema = fields.get(name)
            if schema is None or item is None:
                continue
            path = f"{prefix}{name}"
            _check(method.api, path, item, schema)
            nested = schema.get("$ref") if isinstance(item, dict) else None
            if nested and depth < _DEPTH:
                todo.append((f"{path}.", item, nested, depth + 1))
            items = schema.get("items", {})
            if isinstance(item, list) and "$ref" in items and depth < _DEPTH:
                todo.extend((f"{path}.", v, items["$ref"], depth + 1) for v in item if isinstance(v, dict))


def _check(api: Api, path: str, value: object, schema: dict[str, Any]) -> None:
    if not _fits(value, schema):
        raise _invalid(api, path, value, schema)
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, dict):
        for n, member in enumerate(value):
            if member is None or not _fits(member, items):
                raise _invalid(api, f"{path}[{n}]", member, items)


def _fits(value: object, schema: dict[str, Any]) -> bool:
    if "$ref" in schema:
        return isinstance(value, dict)
    kind = schema.get("type")
    if kind == "string":
        # Numbers are read for int64 and similar fields, which JSON carries as text.
        return isinstance(value, str) or (schema.get("format") in _NUMERIC and _is_number(value))
    if kind in ("integer", "number"):
        return _is_number(value) or (isinstance(value, str) and _parses(value))
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True  # "any"


_NUMERIC = ("int64", "uint64", "int32", "uint32", "double", "float")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parses(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _invalid(api: Api, path: str, value: object, schema: dict[str, Any]) -> GoogleError:
    shown = json.dumps(value, ensure_ascii=False)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    message = f"Invalid value at '{path}' ({_type_name(api, schema)}), {shown}"
    return GoogleError(400, message, reason="invalid", status="INVALID_ARGUMENT")


def _type_name(api: Api, schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return f"type.googleapis.com/{_PACKAGES[api]}.{schema['$ref']}"
    kind, fmt = schema.get("type"), schema.get("format")
    names = {
        "string": "TYPE_STRING",
        "boolean": "TYPE_BOOL",
        "integer": "TYPE_INT32",
        "number": "TYPE_DOUBLE",
    }
    if fmt == "byte":
        return "TYPE_BYTES"
    if kind == "array":
        return _type_name(api, schema.get("items", {}))
    return names.get(str(kind), "TYPE_MESSAGE")


@cache
def _fields(api: Api, ref: str) -> dict[str, Any]:
    schema = load_document(api).get("schemas", {}).get(ref, {})
    properties: dict[str, Any] = schema.get("properties", {})
    return properties


__all__ = ["check_body"]

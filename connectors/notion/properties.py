"""Property values both ways, checked against a data source's schema before anything is sent."""

from __future__ import annotations

from datetime import date, datetime

from charter.connectors.notion.blocks import rich_text
from charter.connectors.notion.models import PropertyFilter, PropertyValue, Sort
from charter.connectors.notion.writer import MAX_ARRAY
from charter.schemas import ValidationError
from charter.schemas.types import JsonObject

Schema = dict[str, JsonObject]
# Notion's request limit on a link (developers.notion.com, reference/request-limits).
MAX_URL = 2000
READ_ONLY = frozenset(
    {"formula", "rollup", "created_time", "created_by", "last_edited_time", "last_edited_by", "unique_id"}
)
TEXT_CONDITIONS = {"equals", "does_not_equal", "contains", "does_not_contain", "starts_with", "ends_with"}
NUMBER_CONDITIONS = {
    "equals",
    "does_not_equal",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
}
DATE_CONDITIONS = {"equals", "before", "after", "on_or_before", "on_or_after"}
CONDITIONS: dict[str, set[str]] = {
    "title": TEXT_CONDITIONS,
    "rich_text": TEXT_CONDITIONS,
    "url": TEXT_CONDITIONS,
    "email": TEXT_CONDITIONS,
    "number": NUMBER_CONDITIONS,
    "select": {"equals", "does_not_equal"},
    "status": {"equals", "does_not_equal"},
    "multi_select": {"contains", "does_not_contain"},
    "checkbox": {"equals", "does_not_equal"},
    "date": DATE_CONDITIONS,
}


def _refuse(name: str, problem: str) -> ValidationError:
    return ValidationError(
        f"property {name!r}: {problem}. Nothing was sent; fix the value and call again.",
        problems=[{"field": f"properties.{name}", "problem": problem}],
    )


def _known(schema: Schema, name: str) -> JsonObject:
    if name not in schema:
        raise _refuse(name, f"the data source has no such property; it has {', '.join(sorted(schema))}")
    return schema[name]


def _options(prop: JsonObject) -> list[str]:
    kind = prop["type"]
    return [str(o["name"]) for o in (prop.get(kind) or {}).get("options", [])]


def _is_date(value: str) -> bool:
    try:
        (datetime if "T" in value else date).fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def value_out(name: str, prop: JsonObject, value: PropertyValue) -> JsonObject:
    """One agent value as Notion's property value, or a ValidationError saying what the schema wants."""
    kind = prop["type"]
    if kind in READ_ONLY:
        raise _refuse(name, f"it is a {kind} property, which Notion computes; it cannot be set")
    if kind in ("title", "rich_text"):
        if not isinstance(value, str):
            raise _refuse(name, f"a {kind} property takes text")
        pieces = rich_text(value)
        if len(pieces) > MAX_ARRAY:
            # A property cannot continue in another block: Notion's 100 rich text objects are its end.
            limit = f"at most {MAX_ARRAY} pieces of 2,000 characters (200,000 in all)"
            raise _refuse(name, f"a {kind} property holds {limit}")
        return {kind: pieces}
    if kind == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _refuse(name, "a number property takes a number")
        return {"number": value}
    if kind in ("select", "status"):
        if value is None:
            return {kind: None}
        if not isinstance(value, str):
            raise _refuse(name, f"a {kind} property takes one option name")
        if kind == "status" and value not in _options(prop):
            raise _refuse(name, f"{value!r} is not one of its options {_options(prop)}")
        return {kind: {"name": value}}
    if kind == "multi_select":
        if not isinstance(value, list):
            raise _refuse(name, "a multi_select property takes a list of option names")
        if len(value) > MAX_ARRAY:
            raise _refuse(name, f"a multi_select property takes at most {MAX_ARRAY} options in one request")
        return {"multi_select": [{"name": v} for v in value]}
    if kind == "checkbox":
        if not isinstance(value, bool):
            raise _refuse(name, "a checkbox property takes true or false")
        return {"checkbox": value}
    if kind == "date":
        if value is not None and not (isinstance(value, str) and _is_date(value)):
            raise _refuse(
                name, "a date property takes an ISO date such as 2025-01-17 or 2025-01-17T09:00:00Z"
            )
        return {"date": None if value is None else {"start": value}}
    if kind in ("url", "email", "phone_number"):
        if value is not None and not isinstance(value, str):
            raise _refuse(name, f"a {kind} property takes text")
        if kind == "url" and value is not None and len(value) > MAX_URL:
            raise _refuse(name, f"a url property takes at most {MAX_URL} characters")
        return {kind: value}
    raise _refuse(name, f"Charter cannot set {kind} properties yet")


def properties_out(schema: Schema, values: dict[str, PropertyValue], title: str | None = None) -> JsonObject:
    """Every value checked and converted; the title goes to the schema's title property."""
    out: JsonObject = {}
    if title is not None:
        title_name = next((n for n, p in schema.items() if p["type"] == "title"), "title")
        out[title_name] = {"title": rich_text(title)}
    for name, value in values.items():
        out[name] = value_out(name, _known(schema, name), value)
    return out


def value_in(value: JsonObject) -> PropertyValue:
    """A Notion property value as a plain value."""
    kind = value.get("type")
    inner = value.get(str(kind))
    if kind in ("title", "rich_text"):
        return "".join(str(t.get("plain_text", "")) for t in inner or [])
    if kind in ("select", "status"):
        return str(inner["name"]) if isinstance(inner, dict) else None
    if kind == "multi_select":
        return [str(o["name"]) for o in inner or []]
    if kind == "date":
        return str(inner["start"]) if isinstance(inner, dict) else None
    if kind in ("number", "checkbox", "url", "email", "phone_number"):
        return inner
    if kind in ("created_time", "last_edited_time"):
        return str(inner)
    return None


def filter_out(schema: Schema, filters: list[PropertyFilter], match: str) -> JsonObject | None:
    """Typed filters as Notion's filter object, checked against the schema."""
    parts = [_condition(schema, f) for f in filters]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return {"and" if match == "all" else "or": parts}


def _condition(schema: Schema, f: PropertyFilter) -> JsonObject:
    prop = _known(schema, f.property)
    kind = prop["type"]
    allowed = CONDITIONS.get(kind, set()) | {"is_empty", "is_not_empty"}
    if f.condition not in allowed:
        raise _refuse(f.property, f"a {kind} property is filtered with {', '.join(sorted(allowed))}")
    if f.condition in ("is_empty", "is_not_empty"):
        return {"property": f.property, kind: {f.condition: True}}
    value = f.value
    if kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _refuse(f.property, "a number filter needs a number value")
    if kind == "checkbox" and not isinstance(value, bool):
        raise _refuse(f.property, "a checkbox filter needs true or false")
    if kind == "date" and not (isinstance(value, str) and _is_date(value)):
        raise _refuse(f.property, "a date filter needs an ISO date value")
    if kind not in ("number", "checkbox") and not isinstance(value, str):
        raise _refuse(f.property, f"a {kind} filter needs a text value")
    return {"property": f.property, kind: {f.condition: value}}


def sorts_out(schema: Schema, sorts: list[Sort]) -> list[JsonObject]:
    out: list[JsonObject] = []
    for sort in sorts:
        if sort.property is not None:
            _known(schema, sort.property)
            out.append({"property": sort.property, "direction": sort.direction})
        else:
            out.append({"timestamp": sort.timestamp, "direction": sort.direction})
    return out

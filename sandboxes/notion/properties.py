"""Page property values: checked against a data source's schema on write, filtered and sorted on query."""

from __future__ import annotations

from typing import Any

from charter.sandboxes.notion.errors import invalid
from charter.sandboxes.notion.render import rich_text_in
from charter.sandboxes.notion.state import DataSource, iso, plain_title
from charter.schemas.types import JsonObject

WRITABLE = frozenset(
    {"title", "rich_text", "number", "select", "multi_select", "status", "date", "checkbox", "url", "email"}
)


def _option(prop: JsonObject, name: str, raw: Any, *, create: bool) -> JsonObject:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise invalid(f"body failed validation: body.properties.{name} option should have a `name`.")
    kind = prop["type"]
    options: list[JsonObject] = prop[kind].setdefault("options", [])
    for option in options:
        if option["name"] == raw["name"]:
            return dict(option)
    if not create:
        raise invalid(f'Invalid status option. Status option "{raw["name"]}" does not exist".')
    option = {"id": f"opt{len(options) + 1}", "name": raw["name"], "color": "default"}
    options.append(option)
    return dict(option)


def value_in(prop: JsonObject, name: str, raw: Any) -> JsonObject:
    """One request property value as stored, or a validation_error naming the property."""
    kind = prop["type"]
    if kind not in WRITABLE:
        raise invalid(f"{name} is a {kind} property, which cannot be set.")
    if not isinstance(raw, dict) or kind not in raw:
        raise invalid(f"{name} is expected to be {kind}.")
    value = raw[kind]
    out: Any
    if kind in ("title", "rich_text"):
        out = rich_text_in(value, f"body.properties.{name}.{kind}")
    elif kind == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise invalid(f"{name} is expected to be number.")
        out = value
    elif kind in ("select", "status"):
        out = None if value is None else _option(prop, name, value, create=kind == "select")
    elif kind == "multi_select":
        if not isinstance(value, list):
            raise invalid(f"{name} is expected to be multi_select.")
        out = [_option(prop, name, v, create=True) for v in value]
    elif kind == "date":
        if value is not None and not (isinstance(value, dict) and isinstance(value.get("start"), str)):
            raise invalid(f"{name} is expected to be date with a `start`.")
        out = None if value is None else {"start": value["start"], "end": value.get("end"), "time_zone": None}
    elif kind == "checkbox":
        if not isinstance(value, bool):
            raise invalid(f"{name} is expected to be checkbox.")
        out = value
    else:
        if value is not None and not isinstance(value, str):
            raise invalid(f"{name} is expected to be {kind}.")
        out = value
    return {"id": prop["id"], "type": kind, kind: out}


def empty_value(prop: JsonObject) -> JsonObject:
    kind = prop["type"]
    empty: Any = {"title": [], "rich_text": [], "multi_select": [], "checkbox": False}.get(kind)
    return {"id": prop["id"], "type": kind, kind: empty}


def resolve(schema: dict[str, JsonObject], key: str) -> tuple[str, JsonObject]:
    """The schema entry a request names by property name or id."""
    if key in schema:
        return key, schema[key]
    for name, prop in schema.items():
        if prop["id"] == key:
            return name, prop
    raise invalid(f"{key} is not a property that exists.")


def apply_properties(source: DataSource | None, current: JsonObject, raw: Any) -> JsonObject:
    """`current` with the request's values set; a page outside a data source has only its title."""
    if raw is None:
        return current
    if not isinstance(raw, dict):
        raise invalid("body failed validation: body.properties should be an object.")
    schema = source.schema if source else {"title": {"id": "title", "type": "title", "title": {}}}
    out = dict(current)
    for key, value in raw.items():
        name, prop = resolve(schema, key)
        out[name] = value_in(prop, name, value)
    return out


def stamp(page_value: JsonObject, kind: str, at: float) -> JsonObject:
    return {**page_value, kind: iso(at, minute=True)}


# -- query ------------------------------------------------------------------------------------------


def _scalar(value: JsonObject) -> Any:
    kind = value["type"]
    inner = value.get(kind)
    if kind in ("title", "rich_text"):
        return "".join(t["plain_text"] for t in inner or [])
    if kind in ("select", "status"):
        return inner["name"] if inner else None
    if kind == "multi_select":
        return [o["name"] for o in inner or []]
    if kind == "date":
        return inner["start"] if inner else None
    return inner


def _test(op: str, actual: Any, expected: Any) -> bool:
    if op == "is_empty":
        return actual in (None, "", [])
    if op == "is_not_empty":
        return actual not in (None, "", [])
    if isinstance(actual, list):
        return {"contains": expected in actual, "does_not_contain": expected not in actual}.get(op, False)
    if op == "equals":
        return bool(actual == expected)
    if op == "does_not_equal":
        return bool(actual != expected)
    if actual is None:
        return False
    text_ops = {
        "contains": lambda: str(expected).lower() in str(actual).lower(),
        "does_not_contain": lambda: str(expected).lower() not in str(actual).lower(),
        "starts_with": lambda: str(actual).lower().startswith(str(expected).lower()),
        "ends_with": lambda: str(actual).lower().endswith(str(expected).lower()),
    }
    if op in text_ops:
        return bool(text_ops[op]())
    order = {
        "greater_than": lambda: actual > expected,
        "less_than": lambda: actual < expected,
        "greater_than_or_equal_to": lambda: actual >= expected,
        "less_than_or_equal_to": lambda: actual <= expected,
        "after": lambda: actual > expected,
        "before": lambda: actual < expected,
        "on_or_after": lambda: actual >= expected,
        "on_or_before": lambda: actual <= expected,
    }
    if op not in order:
        raise invalid(f"body failed validation: filter condition `{op}` is not supported.")
    return bool(order[op]())


def matches(page: JsonObject, schema: dict[str, JsonObject], condition: JsonObject, depth: int = 0) -> bool:
    """Whether a rendered page meets a Notion filter (compound filters nest at most two deep)."""
    for combinator in ("and", "or"):
        if combinator in condition:
            if depth >= 2:
                raise invalid("body failed validation: filters may nest at most two levels.")
            parts = [matches(page, schema, c, depth + 1) for c in condition[combinator]]
            return all(parts) if combinator == "and" else any(parts)
    if "timestamp" in condition:
        kind = str(condition["timestamp"])
        if kind not in ("created_time", "last_edited_time"):
            raise invalid(f"body failed validation: timestamp `{kind}` is not supported.")
        [(op, expected)] = condition[kind].items()
        return _test(op, _normal_time(page[kind]), _normal_time(expected))
    if "property" not in condition:
        raise invalid("body failed validation: a filter needs `property`, `timestamp`, `and` or `or`.")
    name, prop = resolve(schema, str(condition["property"]))
    ops = {k: v for k, v in condition.items() if k not in ("property", "type")}
    if len(ops) != 1:
        raise invalid(f"body failed validation: the filter on {name} needs one condition type.")
    [(_, test)] = ops.items()
    if not isinstance(test, dict) or len(test) != 1:
        raise invalid(f"body failed validation: the filter on {name} needs exactly one condition.")
    [(op, expected)] = test.items()
    actual = _scalar(page["properties"][name])
    if prop["type"] == "date" and isinstance(expected, str):
        expected = _normal_time(expected)
        actual = _normal_time(actual) if isinstance(actual, str) else actual
    return _test(op, actual, expected)


def _normal_time(value: Any) -> str:
    # Dates compare as text once written alike: `2025-01-15` sorts before `2025-01-15T...`.
    text = str(value)
    return text.replace("+00:00", "Z").replace(".000Z", "Z").replace("Z", "")


def sort_key(page: JsonObject, sort: JsonObject) -> Any:
    if "timestamp" in sort:
        return page[str(sort["timestamp"])]
    value = _scalar(page["properties"][str(sort["property"])])
    return (value is None, "" if value is None else value)


def title_of(properties: JsonObject) -> str:
    return plain_title(properties)

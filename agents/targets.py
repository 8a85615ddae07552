"""The object a paused write changes, described by what a person recognises: subject, sender, title.

A write's arguments name their object by id (`message_id`, `event_id`, `page_id`, an issue number),
which tells a person nothing. Before a direct write is shown for approval, the connector's own
`get_*` read of that object is run with the write's arguments, and its recognisable fields are
shown with the preview. Only the person sees this read; the agent never gets its result.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from charter.connectors.base import Connector, validate_request
from charter.schemas import CharterError

# The reads that fetch one object by what a write names it with, in the order tried.
LOOKUPS = ("get_message", "get_event", "get_pull_request", "get_issue", "get_page", "get_item")
# What a person recognises an object by, in the order shown.
SHOWN = ("subject", "sender", "from_", "to", "title", "summary", "name", "path", "start", "state", "url")
_MAX_VALUE = 300


def _value(value: Any) -> str:
    text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return (
        text
        if len(text) <= _MAX_VALUE
        else f"{text[:_MAX_VALUE]}… ({len(text) - _MAX_VALUE} more characters)"
    )


def _lookup(connector: Connector, action: str, data: dict[str, Any]) -> dict[str, Any] | None:
    spec = connector.actions.get(action)
    if spec is None:
        return None
    fields = spec.request.model_fields
    required = [name for name, info in fields.items() if info.is_required()]
    if not required or any(name not in data for name in required):
        return None
    try:
        found = connector.read(validate_request(spec, {n: data[n] for n in fields if n in data}))
    except (CharterError, ValueError, KeyError, TypeError, AttributeError):
        # Describing is a courtesy to the person: a failed look-up leaves the arguments to speak.
        return None
    return found.model_dump(mode="json") if isinstance(found, BaseModel) else None


def describe_target(connector: Connector, request: BaseModel) -> list[str]:
    """Lines naming the object `request` changes (its subject, sender, title…), or none if unknown."""
    data = request.model_dump(mode="json")
    for action in LOOKUPS:
        found = _lookup(connector, action, data)
        if not found:
            continue
        lines = [f"  {name.rstrip('_')}: {_value(found[name])}" for name in SHOWN if found.get(name)]
        if lines:
            kind = action.removeprefix("get_").replace("_", " ")
            return [f"The {kind} this changes:", *lines]
    return []


__all__ = ["LOOKUPS", "describe_target"]

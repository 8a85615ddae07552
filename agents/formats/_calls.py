"""What every model-API adapter shares: API-safe tool names, reading the model's calls, result text."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from charter.agents.formats.strict import strict_schema, without_nulls
from charter.agents.toolkit import Toolkit
from charter.agents.tools import Tool, ToolResult
from charter.schemas import ValidationError

# The name pattern both OpenAI and Anthropic enforce for tools.
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def wire_name(name: str) -> str:
    """`name` as the model APIs accept it (`^[a-zA-Z0-9_-]{1,64}$`); unchanged when it already fits."""
    if TOOL_NAME.fullmatch(name):
        return name
    # The digest keeps two names that differ only in replaced characters apart.
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{re.sub(r'[^a-zA-Z0-9_-]', '_', name)[:55]}_{digest}"


def result_text(result: ToolResult) -> str:
    """A tool result as the JSON text sent back to the model, untrusted-data envelope included."""
    return json.dumps(result.to_dict(), ensure_ascii=False)


def field(item: object, key: str) -> Any:
    """`key` of an API object, whether it arrived as a dict or as an SDK model."""
    if isinstance(item, Mapping):
        return item.get(key)
    return getattr(item, key, None)


def listed(container: object, key: str) -> list[object]:
    """The items under `key` of a response or message, or the container itself when it is a list."""
    # SDK models are iterable too (over their fields), so only a real list counts as the items.
    items = container if isinstance(container, list | tuple) else field(container, key)
    return list(items) if isinstance(items, list | tuple) else []


def parse_arguments(raw: object) -> dict[str, Any]:
    """The model's arguments as a JSON object; `ValidationError` for anything else."""
    if raw is None or raw == "":
        return {}
    value: object = raw
    if isinstance(raw, str | bytes):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"the arguments are not valid JSON ({exc.msg} at position {exc.pos}); nothing was run. "
                "Call the tool again with a JSON object that fits its schema."
            ) from None
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"the arguments must be a JSON object, not {type(value).__name__}; nothing was run. "
            "Call the tool again with a JSON object that fits its schema."
        )
    return dict(value)


class ToolCalls:
    """Runs the model's tool calls through one Toolkit, mapping API-safe names back to tools."""

    def __init__(
        self, toolkit: Toolkit, tools: Sequence[Tool] | None = None, *, strict: bool = False
    ) -> None:
        self.toolkit = toolkit
        self._chosen = list(tools) if tools is not None else None
        self.strict = strict
        self._by_wire: dict[str, Tool] | None = None

    def tools(self) -> list[Tool]:
        """The tools offered to the model: the chosen ones, or all the grant allows."""
        return list(self._chosen) if self._chosen is not None else self.toolkit.tools()

    def strict_parameters(self, tool: Tool) -> dict[str, Any] | None:
        """The tool's schema in strict form when strict mode is on and can express it."""
        return strict_schema(tool.input_schema) if self.strict else None

    def run(self, name: object, arguments: object) -> ToolResult:
        """One call by its API name and raw arguments; a malformed call is an error result, never raised."""
        tool = self._lookup(str(name or ""))
        tool_name = tool.name if tool is not None else str(name or "")
        try:
            args = parse_arguments(arguments)
        except ValidationError as exc:
            return ToolResult(status="error", tool=tool_name, error=exc.to_dict())
        if tool is not None and self.strict_parameters(tool) is not None:
            args = without_nulls(args, tool.input_schema)
        return self.toolkit.call(tool_name, args)

    def _lookup(self, name: str) -> Tool | None:
        if self._by_wire is None or name not in self._by_wire:
            self._by_wire = {wire_name(t.name): t for t in self.tools()}
        return self._by_wire.get(name)


__all__ = ["TOOL_NAME", "ToolCalls", "field", "listed", "parse_arguments", "result_text", "wire_name"]

"""What every model-API adapter shares: API-safe tool names, reading the model's calls, result text."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from charter.agents.formats.strict import strict_schema, without_nulls
from charter.agents.intake import call_arguments
from charter.agents.toolkit import Toolkit
from charter.agents.tools import Tool, ToolResult
from charter.schemas import CharterError, ValidationError

# The name pattern both OpenAI and Anthropic enforce for tools.
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

RESUME_TOOL = "charter_resume"
RESUME_DESCRIPTION = (
    "Continue a call that paused for a person's approval, once they approved it; it runs exactly once. "
    "Returns approval_required again while the person has not decided."
)
RESUME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "approval_id": {
            "type": "string",
            "description": "The approval_id of a call that returned status approval_required.",
        }
    },
    "required": ["approval_id"],
    "additionalProperties": False,
}


def wire_name(name: str) -> str:
    """`name` as the model APIs accept it (`^[a-zA-Z0-9_-]{1,64}$`); unchanged when it already fits."""
    if TOOL_NAME.fullmatch(name):
        return name
    # The digest keeps two names that differ only in replaced characters apart.
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{re.sub(r'[^a-zA-Z0-9_-]', '_', name)[:55]}_{digest}"


def result_text(result: ToolResult, *, resume_tool: bool = True) -> str:
    """A tool result as the JSON text sent back to the model, untrusted-data envelope included.

    A pause says how to go on with the tools this model has: `charter_resume` when it is offered.
    """
    data = result.to_dict()
    if result.approval is not None:
        data["approval"]["how_to_resume"] = how_to_resume(
            result.approval.approval_id, resume_tool=resume_tool
        )
    return json.dumps(data, ensure_ascii=False)


def how_to_resume(approval_id: str, *, resume_tool: bool = True) -> str:
    """What a model does after a pause: wait for the person, then resume or repeat the call."""
    then = f"call {RESUME_TOOL} with approval_id={approval_id!r}, or repeat" if resume_tool else "repeat"
    return (
        f"Not done yet: a person must approve it first (`charter approvals approve {approval_id}`). "
        f"Then {then} this exact call; it runs once. If they deny it or it expires, that call says so."
    )


def offers_resume(tools: Sequence[Tool]) -> bool:
    """Whether `charter_resume` goes with these tools: when a call among them can change anything."""
    return any(t.verb != "read" for t in tools)


def approval_id_of(args: Mapping[str, Any]) -> object:
    """The `approval_id` argument of a `charter_resume` call, as sent; `Toolkit.resume` checks it."""
    return args.get("approval_id")


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
    """The model's arguments as a JSON object (`""` is none); `ValidationError` for anything else."""
    return call_arguments(None if isinstance(raw, str | bytes) and not raw else raw)


@dataclass(frozen=True)
class Offer:
    """One tool as a model API lists it: API-safe name, description, schema, and its strict form."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict_parameters: dict[str, Any] | None


class ToolCalls:
    """Runs the model's tool calls through one Toolkit, mapping API-safe names back to tools."""

    def __init__(
        self, toolkit: Toolkit, tools: Sequence[Tool] | None = None, *, strict: bool = False
    ) -> None:
        self.toolkit = toolkit
        self._chosen = list(tools) if tools is not None else None
        self._strict = strict
        self._by_wire: dict[str, Tool] | None = None
        self._resume = False

    def offers(self) -> list[Offer]:
        """The tools to give the model: the chosen ones or all the grant allows, and `charter_resume`."""
        tools = self._tools()
        offers = [
            Offer(wire_name(t.name), t.description, t.input_schema, self._strict_form(t.input_schema))
            for t in tools
        ]
        if offers_resume(tools):
            offers.append(
                Offer(RESUME_TOOL, RESUME_DESCRIPTION, RESUME_SCHEMA, self._strict_form(RESUME_SCHEMA))
            )
        return offers

    def run(self, name: object, arguments: object) -> ToolResult:
        """One call by its API name and raw arguments; a malformed call is an error result, never raised.

        Whatever the model sent goes on to the Toolkit, which refuses what does not fit and records
        the refusal in the audit log like any other call.
        """
        tool = self._lookup(name) if isinstance(name, str) else None
        tool_name = tool.name if tool is not None else name
        try:
            parsed = parse_arguments(arguments)
        except ValidationError:
            parsed = None
        if tool_name == RESUME_TOOL and self._resume:
            return self.toolkit.resume(cast(str, approval_id_of(parsed or {})))
        if parsed is None:
            return self.toolkit.call(cast(str, tool_name), cast(Mapping[str, Any], arguments))
        if tool is not None and self._strict_form(tool.input_schema) is not None:
            parsed = without_nulls(parsed, tool.input_schema)
        return self.toolkit.call(cast(str, tool_name), parsed)

    def text(self, result: ToolResult) -> str:
        """The result as JSON text for the model, its pause naming the tools this model has."""
        return result_text(result, resume_tool=self._resume)

    def _tools(self) -> list[Tool]:
        tools = list(self._chosen) if self._chosen is not None else self.toolkit.tools()
        self._by_wire = {wire_name(t.name): t for t in tools}
        self._resume = offers_resume(tools)
        return tools

    def _strict_form(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        return strict_schema(schema) if self._strict else None

    def _lookup(self, name: str) -> Tool | None:
        if self._by_wire is None or (name not in self._by_wire and name != RESUME_TOOL):
            try:
                self._tools()
            except CharterError:
                return None  # a revoked or expired grant: the Toolkit's call says so and records it
        return (self._by_wire or {}).get(name)


__all__ = [
    "RESUME_DESCRIPTION",
    "RESUME_SCHEMA",
    "RESUME_TOOL",
    "TOOL_NAME",
    "Offer",
    "ToolCalls",
    "approval_id_of",
    "field",
    "how_to_resume",
    "listed",
    "offers_resume",
    "parse_arguments",
    "result_text",
    "wire_name",
]

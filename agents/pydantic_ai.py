"""A grant's tools as a pydantic-ai toolset (install the `charter[pydantic-ai]` extra).

`CharterToolset(toolkit)` lists the Toolkit's tools with their JSON Schemas as pydantic-ai tool
definitions and runs each call through the Toolkit, so grant, policy, approval and audit apply as
for any other framework. Arguments go to the Toolkit as the model sent them (it validates them in
full); the result is the same JSON as every adapter's, `approval_required` included, and
`charter_resume` comes along whenever a tool can change anything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import anyio.to_thread

from charter.agents.formats._calls import ToolCalls
from charter.agents.toolkit import Toolkit
from charter.agents.tools import Tool
from charter.schemas import missing_extra

try:
    from pydantic_ai import RunContext
    from pydantic_ai.tools import ToolDefinition
    from pydantic_ai.toolsets import AbstractToolset
    from pydantic_ai.toolsets.abstract import ToolsetTool
    from pydantic_core import SchemaValidator, core_schema
except ImportError as exc:
    raise (missing_extra(exc) or exc) from None

# The Toolkit validates every call against the request model; pydantic-ai passes arguments on.
_ANY_ARGS = SchemaValidator(schema=core_schema.any_schema())


class CharterToolset(AbstractToolset[Any]):
    """The grant's tools (or the chosen ones) for a pydantic-ai `Agent(toolsets=[...])`."""

    def __init__(
        self, toolkit: Toolkit, *, tools: Sequence[Tool] | None = None, id: str | None = None
    ) -> None:
        self._calls = ToolCalls(toolkit, tools)
        self._id = id

    def __repr__(self) -> str:
        return f"<CharterToolset {self._calls.toolkit!r}>"

    @property
    def id(self) -> str | None:
        return self._id

    async def get_tools(self, ctx: RunContext[Any]) -> dict[str, ToolsetTool[Any]]:
        offers = await anyio.to_thread.run_sync(self._calls.offers)
        return {
            offer.name: ToolsetTool(
                toolset=self,
                tool_def=ToolDefinition(
                    name=offer.name, description=offer.description, parameters_json_schema=offer.parameters
                ),
                # A Charter error is an answer for the model, not a retry of pydantic-ai's.
                max_retries=0,
                args_validator=_ANY_ARGS,
            )
            for offer in offers
        }

    async def call_tool(
        self, name: str, tool_args: dict[str, Any], ctx: RunContext[Any], tool: ToolsetTool[Any]
    ) -> str:
        result = await anyio.to_thread.run_sync(self._calls.run, name, json.dumps(tool_args))
        return self._calls.text(result)


__all__ = ["CharterToolset"]

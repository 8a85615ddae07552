"""A grant's tools as LangChain tools (install the `charter[langchain]` extra).

Each tool keeps the action's JSON Schema as its `args_schema` and calls the Toolkit, so grant,
policy, approval and audit apply as for any other framework. It returns the result as JSON text,
untrusted-data envelope included; the `ToolMessage` artifact is the `ToolResult` itself, and an
error result becomes a `ToolMessage` with `status="error"`. When a tool can change anything,
`charter_resume` comes along to finish a call a person approved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from charter.agents.formats._calls import (
    RESUME_DESCRIPTION,
    RESUME_SCHEMA,
    RESUME_TOOL,
    approval_id_of,
    offers_resume,
    result_text,
    wire_name,
)
from charter.agents.toolkit import Toolkit
from charter.agents.tools import Tool, ToolResult
from charter.schemas import ValidationError, missing_extra

try:
    from langchain_core.tools import BaseTool, StructuredTool, ToolException
except ImportError as exc:
    raise (missing_extra(exc) or exc) from None

_Run = Callable[[dict[str, Any]], ToolResult]


def charter_tools(toolkit: Toolkit, *, tools: Sequence[Tool] | None = None) -> list[BaseTool]:
    """The grant's tools (or the chosen ones) as LangChain tools that call `toolkit`."""
    chosen = list(tools) if tools is not None else toolkit.tools()
    resume = offers_resume(chosen)
    made: list[BaseTool] = [_action_tool(toolkit, tool, resume) for tool in chosen]
    if resume:
        run = partial(_resume, toolkit)
        made.append(_structured(RESUME_TOOL, RESUME_DESCRIPTION, RESUME_SCHEMA, resume, run, {}))
    return made


def _action_tool(toolkit: Toolkit, tool: Tool, resume: bool) -> StructuredTool:
    metadata = {"charter_tool": tool.name, "verb": tool.verb, "risks": list(tool.risks)}
    run = partial(toolkit.call, tool.name)
    return _structured(wire_name(tool.name), tool.description, tool.input_schema, resume, run, metadata)


def _resume(toolkit: Toolkit, args: dict[str, Any]) -> ToolResult:
    return toolkit.resume(approval_id_of(args))


def _structured(
    name: str, description: str, schema: dict[str, Any], resume: bool, run: _Run, metadata: dict[str, Any]
) -> StructuredTool:
    def call(**args: Any) -> tuple[str, ToolResult]:
        try:
            result = run(args)
        except ValidationError as exc:
            result = ToolResult(status="error", tool=name, error=exc.to_dict())
        text = result_text(result, resume_tool=resume)
        if result.status == "error":
            # LangChain marks the ToolMessage as an error only for a ToolException.
            raise ToolException(text)
        return text, result

    return StructuredTool(
        name=name,
        description=description,
        args_schema=schema,
        func=call,
        response_format="content_and_artifact",
        handle_tool_error=True,
        metadata=metadata,
    )


__all__ = ["charter_tools"]

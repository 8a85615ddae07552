"""A grant's tools as LangChain tools (install the `charter[langchain]` extra).

Each tool keeps the action's JSON Schema as its `args_schema` and calls the Toolkit, so grant,
policy, approval and audit apply as for any other framework. It returns the result as JSON text,
untrusted-data envelope included; the `ToolMessage` artifact is the `ToolResult` itself, and an
error result becomes a `ToolMessage` with `status="error"`. When a tool can change anything,
`charter_resume` comes along to finish a call a person approved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, cast

from charter.agents.formats._calls import (
    RESUME_DESCRIPTION,
    RESUME_SCHEMA,
    RESUME_TOOL,
    approval_id_of,
    offers_resume,
    result_text,
    wire_name,
)
from charter.agents.formats.strict import strict_schema, without_nulls
from charter.agents.intake import call_arguments
from charter.agents.toolkit import Toolkit
from charter.agents.tools import Tool, ToolResult
from charter.schemas import ValidationError, missing_extra

try:
    from langchain_core.messages import ToolMessage
    from langchain_core.runnables import RunnableConfig
    from langchain_core.tools import BaseTool, StructuredTool, ToolException
except ImportError as exc:
    raise (missing_extra(exc) or exc) from None

_Run = Callable[[Any], ToolResult]


class CharterTool(StructuredTool):
    """A LangChain tool whose input Charter reads first, so whatever a model sent reaches the Toolkit.

    LangChain formats and copies a tool's input before the tool runs (arguments nested too deep
    crash its `str()`, a list or text crashes its copy). Input Charter's intake refuses goes to the
    Toolkit as it came, which answers a typed error and records the call like any other.
    """

    charter_run: _Run
    charter_resume: bool = False

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        tool_call = isinstance(input, dict) and input.get("type") == "tool_call"
        raw = input.get("args") if tool_call else input
        try:
            args = call_arguments(raw)
        except ValidationError:
            return self._refused(raw, input.get("id") if tool_call else None, tool_call)
        return super().invoke({**input, "args": args} if tool_call else args, config, **kwargs)

    def _refused(self, raw: object, call_id: object, tool_call: bool) -> Any:
        result = self.charter_run(raw)
        text = result_text(result, resume_tool=self.charter_resume)
        if not tool_call:
            return text
        return ToolMessage(
            content=text, artifact=result, tool_call_id=str(call_id), name=self.name, status="error"
        )


def charter_tools(
    toolkit: Toolkit, *, tools: Sequence[Tool] | None = None, strict: bool = False
) -> list[BaseTool]:
    """The grant's tools (or the chosen ones) as LangChain tools that call `toolkit`.

    With `strict`, each `args_schema` is already in OpenAI strict form (every property required,
    an optional one nullable), so `bind_tools(..., strict=True)` keeps it and the model never has
    to invent a value; the model's nulls are dropped before the call, so the defaults apply.
    """
    chosen = list(tools) if tools is not None else toolkit.tools()
    resume = offers_resume(chosen)
    made: list[BaseTool] = [_action_tool(toolkit, tool, resume, strict) for tool in chosen]
    if resume:
        run = partial(_resume, toolkit)
        made.append(_structured(RESUME_TOOL, RESUME_DESCRIPTION, RESUME_SCHEMA, resume, run, {}))
    return made


def _action_tool(toolkit: Toolkit, tool: Tool, resume: bool, strict: bool) -> StructuredTool:
    metadata = {"charter_tool": tool.name, "verb": tool.verb, "risks": list(tool.risks)}
    schema = strict_schema(tool.input_schema) if strict else None
    if schema is None:
        run: _Run = partial(toolkit.call, tool.name)
        return _structured(wire_name(tool.name), tool.description, tool.input_schema, resume, run, metadata)

    def run_strict(args: Any) -> ToolResult:
        given = without_nulls(args, tool.input_schema) if isinstance(args, Mapping) else args
        return toolkit.call(tool.name, given)

    return _structured(wire_name(tool.name), tool.description, schema, resume, run_strict, metadata)


def _resume(toolkit: Toolkit, args: object) -> ToolResult:
    approval_id = approval_id_of(args) if isinstance(args, Mapping) else None
    return toolkit.resume(cast(str, approval_id))


def _structured(
    name: str, description: str, schema: dict[str, Any], resume: bool, run: _Run, metadata: dict[str, Any]
) -> StructuredTool:
    def call(**args: Any) -> tuple[str, ToolResult]:
        result = run(args)
        text = result_text(result, resume_tool=resume)
        if result.status == "error":
            # LangChain marks the ToolMessage as an error only for a ToolException.
            raise ToolException(text)
        return text, result

    return CharterTool(
        name=name,
        description=description,
        args_schema=schema,
        func=call,
        response_format="content_and_artifact",
        handle_tool_error=True,
        metadata=metadata,
        charter_run=run,
        charter_resume=resume,
    )


__all__ = ["CharterTool", "charter_tools"]

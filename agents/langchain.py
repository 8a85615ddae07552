"""A grant's tools as LangChain tools (install the `charter[langchain]` extra).

Each tool keeps the action's JSON Schema as its `args_schema` and calls the Toolkit, so grant,
policy, approval and audit apply as for any other framework. It returns the result as JSON text,
untrusted-data envelope included; the `ToolMessage` artifact is the `ToolResult` itself, and an
error result becomes a `ToolMessage` with `status="error"`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from charter.agents.formats import result_text, wire_name
from charter.agents.toolkit import Toolkit
from charter.agents.tools import Tool, ToolResult
from charter.schemas import ConfigurationError

try:
    from langchain_core.tools import BaseTool, StructuredTool, ToolException
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ConfigurationError(
        "charter.agents.langchain needs langchain-core: pip install 'charter[langchain]'"
    ) from exc


def charter_tools(toolkit: Toolkit, *, tools: Sequence[Tool] | None = None) -> list[BaseTool]:
    """The grant's tools (or the chosen ones) as LangChain tools that call `toolkit`."""
    chosen = list(tools) if tools is not None else toolkit.tools()
    return [_structured(toolkit, tool) for tool in chosen]


def _structured(toolkit: Toolkit, tool: Tool) -> StructuredTool:
    return StructuredTool(
        name=wire_name(tool.name),
        description=tool.description,
        args_schema=tool.input_schema,
        func=_caller(toolkit, tool.name),
        response_format="content_and_artifact",
        handle_tool_error=True,
        metadata={"charter_tool": tool.name, "verb": tool.verb, "risks": list(tool.risks)},
    )


def _caller(toolkit: Toolkit, name: str) -> Callable[..., tuple[str, ToolResult]]:
    def call(**args: Any) -> tuple[str, ToolResult]:
        result = toolkit.call(name, args)
        if result.status == "error":
            # LangChain marks the ToolMessage as an error only for a ToolException.
            raise ToolException(result_text(result))
        return result_text(result), result

    call.__name__ = name
    return call


__all__ = ["charter_tools"]

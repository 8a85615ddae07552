"""OpenAI function calling: a grant's tools for the Responses and Chat Completions APIs, and their calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from charter.agents.formats._calls import ToolCalls, field, listed, result_text, wire_name
from charter.agents.toolkit import Toolkit
from charter.agents.tools import Tool


class OpenAITools:
    """A grant's tools in OpenAI's function-calling formats, and the runner for the model's calls.

    With `strict=True`, each tool whose schema strict mode can express is sent in strict form
    (`strict: true`); the others, and every tool when `strict=False`, go with `strict: false`.
    """

    def __init__(
        self, toolkit: Toolkit, *, tools: Sequence[Tool] | None = None, strict: bool = False
    ) -> None:
        self._calls = ToolCalls(toolkit, tools, strict=strict)

    def responses_tools(self) -> list[dict[str, Any]]:
        """Tool definitions for the Responses API (`tools=` of `client.responses.create`)."""
        return [{"type": "function", **self._function(tool)} for tool in self._calls.tools()]

    def chat_tools(self) -> list[dict[str, Any]]:
        """Tool definitions for Chat Completions (`tools=` of `client.chat.completions.create`)."""
        return [{"type": "function", "function": self._function(tool)} for tool in self._calls.tools()]

    def run_responses(self, response: object) -> list[dict[str, Any]]:
        """Run a response's `function_call` items; returns the `function_call_output` items to send next.

        Takes the response (dict or SDK object) or its `output` list; other items are skipped.
        """
        outputs: list[dict[str, Any]] = []
        for item in listed(response, "output"):
            if field(item, "type") != "function_call":
                continue
            result = self._calls.run(field(item, "name"), field(item, "arguments"))
            outputs.append(
                {
                    "type": "function_call_output",
                    "call_id": field(item, "call_id"),
                    "output": result_text(result),
                }
            )
        return outputs

    def run_chat(self, message: object) -> list[dict[str, Any]]:
        """Run an assistant message's `tool_calls`; returns the `role: tool` messages to append.

        Takes the message (dict or SDK object) or its `tool_calls` list.
        """
        replies: list[dict[str, Any]] = []
        for call in listed(message, "tool_calls"):
            if field(call, "type") not in (None, "function"):
                continue
            function = field(call, "function")
            result = self._calls.run(field(function, "name"), field(function, "arguments"))
            replies.append(
                {"role": "tool", "tool_call_id": field(call, "id"), "content": result_text(result)}
            )
        return replies

    def _function(self, tool: Tool) -> dict[str, Any]:
        strict = self._calls.strict_parameters(tool)
        return {
            "name": wire_name(tool.name),
            "description": tool.description,
            "parameters": strict if strict is not None else tool.input_schema,
            "strict": strict is not None,
        }


__all__ = ["OpenAITools"]

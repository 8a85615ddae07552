"""OpenAI function calling: a grant's tools for the Responses and Chat Completions APIs, and their calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from charter.agents.formats._calls import Offer, ToolCalls, field, listed
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
        return [{"type": "function", **_function(offer)} for offer in self._calls.offers()]

    def chat_tools(self) -> list[dict[str, Any]]:
        """Tool definitions for Chat Completions (`tools=` of `client.chat.completions.create`)."""
        return [{"type": "function", "function": _function(offer)} for offer in self._calls.offers()]

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
                    "output": self._calls.text(result),
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
                {"role": "tool", "tool_call_id": field(call, "id"), "content": self._calls.text(result)}
            )
        return replies


def _function(offer: Offer) -> dict[str, Any]:
    return {
        "name": offer.name,
        "description": offer.description,
        "parameters": offer.strict_parameters or offer.parameters,
        "strict": offer.strict_parameters is not None,
    }


__all__ = ["OpenAITools"]

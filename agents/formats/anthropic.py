"""Anthropic Messages tool use: a grant's tools as `tools=`, and `tool_use` blocks run into `tool_result`s."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from charter.agents.formats._calls import ToolCalls, field, listed
from charter.agents.toolkit import Toolkit
from charter.agents.tools import Tool


class AnthropicTools:
    """A grant's tools in the Anthropic Messages format, and the runner for the model's `tool_use` blocks."""

    def __init__(self, toolkit: Toolkit, *, tools: Sequence[Tool] | None = None) -> None:
        self._calls = ToolCalls(toolkit, tools)

    def tools(self) -> list[dict[str, Any]]:
        """Tool definitions for `tools=` of `client.messages.create`."""
        return [
            {"name": offer.name, "description": offer.description, "input_schema": offer.parameters}
            for offer in self._calls.offers()
        ]

    def run(self, message: object) -> list[dict[str, Any]]:
        """Run a message's `tool_use` blocks; returns the `tool_result` blocks for the next user turn.

        Takes the message (dict or SDK object) or its `content` list. An error is a result with
        `is_error: true`; a call paused for approval is a normal result saying how to go on.
        """
        blocks: list[dict[str, Any]] = []
        for block in listed(message, "content"):
            if field(block, "type") != "tool_use":
                continue
            result = self._calls.run(field(block, "name"), field(block, "input"))
            blocks.append(
                {
                    "type": "tool_result",
                    "tool_use_id": field(block, "id"),
                    "content": self._calls.text(result),
                    "is_error": result.status == "error",
                }
            )
        return blocks


__all__ = ["AnthropicTools"]

"""Charter tools and results in MCP's shapes: tool listings, structured results, paused calls."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import mcp_types as types

from charter.agents.tools import Tool, ToolResult
from charter.schemas import CharterError

RESUME_TOOL = "charter_resume"

_PAUSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"const": "approval_required"},
        "approval_id": {"type": "string"},
        "preview": {"type": "string", "description": "Exactly what the person is asked to approve."},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "expires_at": {"type": "string", "format": "date-time"},
        "how_to_resume": {"type": "string"},
    },
    "required": ["status", "approval_id", "preview", "reasons", "how_to_resume"],
}
# What every failed call carries (`CharterError.to_dict()`), flagged `isError` as well.
_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"const": "error"},
        "error": {
            "type": "object",
            "properties": {
                "error": {"type": "string", "description": "A stable code, e.g. validation_error."},
                "message": {"type": "string", "description": "What went wrong and what to do."},
                "retryable": {"type": "boolean"},
                "details": {"type": "object"},
            },
            "required": ["error", "message"],
        },
    },
    "required": ["status", "error"],
}
_RESUME_INPUT: dict[str, Any] = {
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
_RESUME_DESCRIPTION = (
    "Continue a call that paused for a person's approval, once they approved it; it runs exactly once. "
    "Returns approval_required again while the person has not decided."
)


def output_schema(data_schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """The structured result of a tool: `ok` with its data, `approval_required` with the pause, or `error`.

    Every shape the server sends is declared: clients (the TypeScript SDK, Inspector) validate
    error results against the outputSchema too, and would otherwise hide the error's message.
    """
    done = {
        "type": "object",
        "properties": {"status": {"const": "ok"}, "data": dict(data_schema or {})},
        "required": ["status", "data"],
    }
    return {"type": "object", "oneOf": [done, _PAUSE_SCHEMA, _ERROR_SCHEMA]}


def tool_title(tool: Tool) -> str:
    """What a client shows the person: `List issues (github)`."""
    return f"{tool.action.replace('_', ' ').capitalize()} ({tool.service})"


def mcp_tool(tool: Tool, *, compact: bool = False) -> types.Tool:
    """A Charter tool as MCP lists it, with hints a client can show the person.

    `compact` leaves out the title and the output schema: results still carry structured content,
    which a client without the schema takes as it comes.
    """
    writes = tool.verb != "read"
    title = tool_title(tool)
    return types.Tool(
        name=tool.name,
        title=None if compact else title,
        description=tool.description,
        input_schema=dict(tool.input_schema),
        # Read through getattr: tools from older catalogs carry no output schema.
        output_schema=None if compact else output_schema(getattr(tool, "output_schema", None)),
        annotations=types.ToolAnnotations(
            title=None if compact else title,
            read_only_hint=not writes,
            destructive_hint=writes and "destructive" in tool.risks,
            # Each draft call makes a new draft; a write without an idempotency key may repeat.
            # Committing a draft runs once, whatever the retries: its key is the draft's id.
            idempotent_hint=not writes or tool.action == "commit_draft",
            open_world_hint=getattr(tool, "open_world", True),
        ),
    )


def resume_tool(*, compact: bool = False) -> types.Tool:
    """`charter_resume`: finish a call a person approved."""
    title = None if compact else "Resume an approved call (charter)"
    return types.Tool(
        name=RESUME_TOOL,
        title=title,
        description=_RESUME_DESCRIPTION,
        input_schema=_RESUME_INPUT,
        output_schema=None if compact else output_schema(None),
        annotations=types.ToolAnnotations(
            title=title, read_only_hint=False, idempotent_hint=True, open_world_hint=True
        ),
    )


def how_to_resume(approval_id: str) -> str:
    """What an MCP agent does after a pause: wait for the person, then resume or repeat."""
    return (
        f"A person must approve it first (`charter approvals approve {approval_id}`). Then call "
        f"{RESUME_TOOL} with approval_id={approval_id!r}, or repeat this exact call; it runs once. "
        f"If they deny it or it expires, {RESUME_TOOL} says so."
    )


def call_result(result: ToolResult) -> types.CallToolResult:
    """A Toolkit result as an MCP tool result: errors flagged `isError`, pauses as structured data."""
    if result.status == "error":
        error = result.error or {}
        return types.CallToolResult(
            content=[_text(error)], structured_content={"status": "error", "error": error}, is_error=True
        )
    if result.approval is not None:
        approval_id = result.approval.approval_id
        how = how_to_resume(approval_id)
        pause = {
            "status": "approval_required",
            **result.approval.model_dump(mode="json"),
            "how_to_resume": how,
        }
        # JSON like every other result, so a client reading only the text parses all of them alike.
        return types.CallToolResult(content=[_text(pause)], structured_content=pause)
    done = {"status": "ok", "data": result.data}
    return types.CallToolResult(content=[_text(done)], structured_content=done)


def error_result(exc: CharterError) -> types.CallToolResult:
    """A Charter error as an MCP tool error."""
    return call_result(ToolResult(status="error", tool="", error=exc.to_dict()))


def _text(value: object) -> types.TextContent:
    return types.TextContent(type="text", text=json.dumps(value, ensure_ascii=False, default=str))


__all__ = [
    "RESUME_TOOL",
    "call_result",
    "error_result",
    "how_to_resume",
    "mcp_tool",
    "output_schema",
    "resume_tool",
    "tool_title",
]

"""The floor of a first MCP tool call: a stdio server written with the official SDK alone.

It lists one tool and answers each call with its arguments: no grant, no database, no connector.
Started as a script (`python benchmarks/mcp_floor.py`), so it imports nothing of Charter's.
"""

from __future__ import annotations

from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel.server import Server
from mcp.server.stdio import stdio_server

TOOL = "echo"


async def _list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[types.Tool(name=TOOL, input_schema={"type": "object"})])


async def _call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=str(params.arguments))])


async def serve() -> None:
    """Serve one client on stdin/stdout until it disconnects."""
    server: Server[Any] = Server("floor", on_list_tools=_list_tools, on_call_tool=_call_tool)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(serve)

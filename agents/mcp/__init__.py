"""The MCP server: one grant's tools for any MCP client, over stdio or streamable HTTP on loopback.

Built on the official `mcp` SDK's low-level `Server`, so the tool list is exactly the grant's
(names, descriptions, input and output schemas) and every call runs through the `Toolkit`. A call
that needs a person's approval neither fails nor hangs: it returns `approval_required` with the
approval id; once a person approves, the agent calls `charter_resume` (or repeats the call).
Over HTTP every request must carry the grant itself as `Authorization: Bearer <token>`.

The HTTP names load on first use (PEP 562): a stdio server never imports Charter's HTTP transport.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from charter.schemas import missing_extra
from charter.schemas.lazy import lazy_names

try:
    from charter.agents.mcp.results import RESUME_TOOL, call_result, mcp_tool, output_schema, resume_tool
    from charter.agents.mcp.server import CharterMCP, serve_stdio
except ImportError as exc:
    # Without the mcp extra, importing this package says which extra to install.
    raise (missing_extra(exc) or exc) from None

if TYPE_CHECKING:
    from charter.agents.mcp.http import MCP_PATH, GrantBearer, http_app, loopback_socket, serve_http

_HTTP = dict.fromkeys(
    ("MCP_PATH", "GrantBearer", "http_app", "loopback_socket", "serve_http"), "charter.agents.mcp.http"
)
_http_name, __dir__ = lazy_names(globals(), _HTTP)


def __getattr__(name: str) -> object:
    try:
        return _http_name(name)
    except ImportError as exc:
        raise (missing_extra(exc) or exc) from None


__all__ = [
    "MCP_PATH",
    "RESUME_TOOL",
    "CharterMCP",
    "GrantBearer",
    "call_result",
    "http_app",
    "loopback_socket",
    "mcp_tool",
    "output_schema",
    "resume_tool",
    "serve_http",
    "serve_stdio",
]

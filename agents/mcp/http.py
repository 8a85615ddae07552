"""Streamable HTTP on loopback, where every request must carry the served grant as its bearer token."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from charter.agents.mcp.server import CharterMCP
from charter.auth.grants import GrantAuthority
from charter.schemas import CharterError, GrantDenied

MCP_PATH = "/mcp"
# Grant problems that arise after a session began; answered inside it, by the tools.
_LAPSED = frozenset({"revoked", "expired", "budget_exhausted"})


class GrantBearer:
    """ASGI gate: only requests whose bearer token is the served grant, still valid, reach MCP."""

    def __init__(self, app: ASGIApp, authority: GrantAuthority, grant_id: str) -> None:
        self.app = app
        self._authority = authority
        self._grant_id = grant_id

    def __repr__(self) -> str:
        return f"<GrantBearer grant={self._grant_id}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        established = _header(scope, b"mcp-session-id") is not None
        problem = await anyio.to_thread.run_sync(self.problem, _bearer(scope), established)
        if problem is None:
            await self.app(scope, receive, send)
        else:
            await _refuse(send, problem)

    def problem(self, token: str | None, established: bool = False) -> CharterError | None:
        """Why `token` may not use this server, or None when it may reach MCP.

        At session start the served grant must be valid. Within an established session, the served
        grant's own token (its signature checked) passes even once revoked, expired or spent: the
        tools then answer with that coded error, which a client shows, where a bare 401 would read
        as "log in again".
        """
        if not token:
            return GrantDenied(
                "send the grant token as `Authorization: Bearer <token>`", reason="missing_credential"
            )
        try:
            claims = self._authority.decode(token)
        except CharterError as exc:
            return exc
        if claims.id != self._grant_id:
            return GrantDenied(
                f"this server acts for grant {self._grant_id}, not {claims.id}; present that grant's token",
                reason="other_grant",
            )
        try:
            # Checked, not compared: a revoked, expired or spent grant is caught from its next request.
            self._authority.check(claims)
        except CharterError as exc:
            lapsed = exc.details.get("reason") in _LAPSED
            return None if established and lapsed else exc
        return None


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == wanted:
            return str(value.decode("latin-1"))
    return None


def _bearer(scope: Scope) -> str | None:
    scheme, _, token = (_header(scope, b"authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def _refuse(send: Send, problem: CharterError) -> None:
    body = json.dumps(problem.to_dict()).encode()
    challenge = f'Bearer realm="charter", error="invalid_token", error_description="{problem.code}"'
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", challenge.encode()),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def http_app(bridge: CharterMCP, authority: GrantAuthority | None = None) -> ASGIApp:
    """The streamable-HTTP app at `/mcp` behind the grant's bearer gate, DNS-rebinding checks on."""
    app = bridge.server.streamable_http_app(streamable_http_path=MCP_PATH, host="127.0.0.1")
    grant_id = bridge.toolkit.claims.id
    return GrantBearer(app, authority or GrantAuthority(bridge.toolkit.home), grant_id)


def loopback_socket(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (port 0: any free port), bound before the server starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


async def serve_http(
    bridge: CharterMCP,
    sock: socket.socket,
    *,
    authority: GrantAuthority | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve streamable HTTP on `sock` until stopped; `on_ready` gets the endpoint URL once it serves."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(http_app(bridge, authority), log_level="warning"))
    host, port = sock.getsockname()[:2]
    stopped = anyio.Event()

    async def run() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            stopped.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(run)
        while not (server.started or stopped.is_set()):
            await anyio.sleep(0.01)
        if server.started and on_ready is not None:
            on_ready(f"http://{host}:{port}{MCP_PATH}")


__all__ = ["MCP_PATH", "GrantBearer", "http_app", "loopback_socket", "serve_http"]

"""`charter mcp serve`: one grant's tools for an MCP client, over stdio or streamable HTTP on loopback."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from charter.cli.context import Local, local
from charter.cli.main import resume_collector
from charter.cli.output import UsageProblem
from charter.schemas import ConfigurationError

if TYPE_CHECKING:
    from charter.agents.mcp import CharterMCP

GRANT_ENV = "CHARTER_GRANT"

mcp_app = typer.Typer(help="Serve a grant's tools to MCP clients.", no_args_is_help=True)


def read_grant(token: str | None, grant_file: Path | None) -> str:
    """The grant token from --grant, --grant-file or $CHARTER_GRANT, in that order."""
    if token and grant_file:
        raise UsageProblem("give the grant once: either --grant or --grant-file")
    if grant_file is not None:
        try:
            token = grant_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageProblem(f"cannot read the grant file {grant_file}: {exc.strerror or exc}") from None
    token = (token or os.environ.get(GRANT_ENV, "")).strip()
    if not token:
        raise UsageProblem(
            f"no grant: pass --grant TOKEN or --grant-file PATH, or set {GRANT_ENV} "
            "(issue one with `charter grant create`)"
        )
    return token


def _say(text: str) -> None:
    # stdout may be the MCP channel itself (stdio), so people are told things on stderr.
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _serve_http(bridge: CharterMCP, here: Local, port: int) -> None:
    import anyio

    from charter.agents.mcp import loopback_socket, serve_http

    try:
        sock = loopback_socket(port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigurationError(f"port {port} is already in use; choose another with --port") from None
        raise ConfigurationError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None

    def ready(url: str) -> None:
        sys.stdout.write(f"MCP endpoint: {url}\n")
        sys.stdout.flush()
        _say("Clients must send the grant token as `Authorization: Bearer <token>`. Ctrl-C stops.")

    with sock:
        anyio.run(lambda: serve_http(bridge, sock, authority=here.grants, on_ready=ready))


@mcp_app.command("serve")
def serve_command(
    ctx: typer.Context,
    grant: Annotated[
        str | None,
        typer.Option("--grant", help=f"The grant token (or set {GRANT_ENV}).", show_default=False),
    ] = None,
    grant_file: Annotated[
        Path | None, typer.Option("--grant-file", help="Read the grant token from this file.")
    ] = None,
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP on 127.0.0.1 instead of stdio.")
    ] = False,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="HTTP port on 127.0.0.1; 0 picks a free one.")
    ] = 8760,
    ask_in_client: Annotated[
        bool,
        typer.Option(
            "--ask-in-client",
            help="Ask the person to approve paused calls in the MCP client (elicitation). Only for "
            "clients that show such questions to a person, never to the agent.",
        ),
    ] = False,
    toolsets: Annotated[
        str | None,
        typer.Option(
            "--toolsets",
            help="Serve only these toolsets, comma-separated (github.read,gmail.draft); an unknown "
            "one is refused with the grant's toolsets.",
            show_default=False,
        ),
    ] = None,
    on_demand: Annotated[
        bool,
        typer.Option(
            "--on-demand",
            help="Start with one tool, charter_load_toolset, that loads toolsets when the agent needs "
            "them; the client is told tools/list_changed.",
        ),
    ] = False,
    compact: Annotated[
        bool,
        typer.Option(
            "--compact", help="List tools in their compact form: short descriptions, no output schemas."
        ),
    ] = False,
) -> None:
    """Serve exactly the grant's tools over MCP; paused calls return their approval id."""
    # Imported here: the MCP SDK and its web stack would slow every other `charter` command.
    import anyio

    from charter.agents.mcp import CharterMCP, serve_stdio
    from charter.agents.toolkit import Toolkit

    here = local(ctx)
    toolkit = Toolkit(read_grant(grant, grant_file), home=here.home)
    claims = toolkit.claims  # a bad grant fails here, before any client connects
    served = [s.strip() for s in toolsets.split(",") if s.strip()] if toolsets is not None else None
    if served is not None:
        toolkit.tools(served)  # an unknown toolset fails here too, naming the grant's toolsets
    bridge = CharterMCP(
        toolkit,
        ask_in_client=ask_in_client,
        approvals=here.approvals,
        toolsets=served,
        on_demand=on_demand,
        compact=compact,
    )
    transport = "streamable HTTP" if http else "stdio"
    resume_collector()
    try:
        _say(
            f"Serving grant {claims.id} (agent {claims.agent}, for {claims.subject}) over MCP on {transport}."
        )
        if http:
            _serve_http(bridge, here, port)
        else:
            anyio.run(serve_stdio, bridge)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a foreground server is meant to stop
    # Only now: the transport has closed and no call is running any more.
    _say("MCP server stopped.")


__all__ = ["GRANT_ENV", "mcp_app", "read_grant"]

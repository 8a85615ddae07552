"""The MCP Inspector's CLI (the TypeScript SDK's client) against `charter mcp serve`, stdio and HTTP.

The Inspector compiles every tool's outputSchema at `tools/list` and validates each result
against it, errors included; a result that did not conform would come back as a validation
failure with the result's message lost. `make test` installs the pinned Inspector with npm into
.cache/ (`make inspector`); CHARTER_MCP_INSPECTOR may name another copy's `cli/build/cli.js`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp_rig import Rig, build_rig, http_server, started
from test_mcp_clients import CHARTER

from charter.agents import ApprovalStore
from charter.contract_tests.harnesses.github import REPO, GitHubHarness

ROOT = Path(__file__).resolve().parents[2]
INSPECTOR_VERSION = "0.16.8"  # the Makefile's MCP_INSPECTOR_VERSION
INSTALLED = ROOT / f".cache/mcp-inspector-{INSPECTOR_VERSION}/node_modules/@modelcontextprotocol/inspector"
INSPECTOR = Path(os.environ.get("CHARTER_MCP_INSPECTOR") or INSTALLED / "cli/build/cli.js")
COMMENT = {"repo": REPO, "number": 1, "body": "Seen by the Inspector."}


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    if not INSPECTOR.is_file() or shutil.which("node") is None:
        pytest.fail(
            f"the MCP Inspector {INSPECTOR_VERSION} is not at {INSPECTOR} (or node is missing): run "
            "`make inspector`, which installs it with npm, or set CHARTER_MCP_INSPECTOR"
        )
    with started({"github": GitHubHarness}) as harnesses:
        yield build_rig(harnesses, tmp_path_factory.mktemp("inspector") / "home")


def inspect(target: list[str], rig: Rig, method: str, *args: str) -> dict[str, Any]:
    """One Inspector CLI run; its JSON answer, or the failure it printed."""
    ran = subprocess.run(
        ["node", str(INSPECTOR), "--cli", *target, "--method", method, *args],
        env=rig.environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return dict(json.loads(ran.stdout))


def call(target: list[str], rig: Rig, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    pairs = [f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in args.items()]
    return inspect(target, rig, "tools/call", "--tool-name", tool, "--tool-arg", *pairs)


def session(target: list[str], rig: Rig, *, resume: bool) -> None:
    """tools/list, a read, a write that pauses (and its resume once approved), and an error.

    Over stdio each Inspector run starts its own server, so the resume runs over HTTP only.
    """
    listed = inspect(target, rig, "tools/list")["tools"]
    names = {t["name"] for t in listed}
    assert {"github_list_issues", "github_comment", "charter_resume"} <= names
    assert all("outputSchema" in t for t in listed)
    read = call(target, rig, "github_list_issues", {"repo": REPO, "per_page": 2})
    assert read["structuredContent"]["status"] == "ok", read
    paused = call(target, rig, "github_comment", COMMENT)["structuredContent"]
    assert paused["status"] == "approval_required", paused
    if resume:
        ApprovalStore(rig.home).approve(paused["approval_id"], by="mona")
        done = call(target, rig, "charter_resume", {"approval_id": paused["approval_id"]})
        assert done["structuredContent"]["status"] == "ok", done
    wrong = call(target, rig, "github_get_issue", {"repo": "other/repo", "number": 1})
    assert wrong["isError"] is True
    assert wrong["structuredContent"]["error"]["error"] == "grant_denied", wrong
    assert "other/repo" in wrong["structuredContent"]["error"]["message"]


def test_the_inspector_conforms_over_stdio(rig: Rig) -> None:
    session([CHARTER, "mcp", "serve", "--grant", rig.grant.token], rig, resume=False)


def test_the_inspector_conforms_over_http(rig: Rig, tmp_path: Path) -> None:
    with (tmp_path / "server.err").open("w+") as errlog, http_server(CHARTER, rig, errlog) as url:
        bearer = f"Authorization: Bearer {rig.grant.token}"
        session([url, "--transport", "http", "--header", bearer], rig, resume=True)


# A server whose one tool answers outside its own outputSchema, as Charter's errors once did.
_NONCONFORMING = """
import anyio, mcp_types as types
from mcp.server.lowlevel.server import Server
from mcp.server.stdio import stdio_server

async def tools(ctx, params):
    schema = {"type": "object", "properties": {"data": {"type": "object"}}, "required": ["data"]}
    return types.ListToolsResult(tools=[types.Tool(name="t", input_schema={"type": "object"},
                                                   output_schema=schema)])

async def call(ctx, params):
    body = {"status": "error", "error": {"message": "the message"}}
    return types.CallToolResult(content=[types.TextContent(type="text", text="x")],
                                structured_content=body, is_error=True)

async def main():
    server = Server("broken", on_list_tools=tools, on_call_tool=call)
    async with stdio_server() as (r, w):
        await server.run(r, w, server.create_initialization_options())

anyio.run(main)
"""


def test_control_the_inspector_refuses_a_result_outside_its_schema(rig: Rig) -> None:
    ran = subprocess.run(
        ["node", str(INSPECTOR), "--cli", sys.executable, "-c", _NONCONFORMING, "--method", "tools/call",
         "--tool-name", "t"],
        env=rig.environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert ran.returncode != 0, ran.stdout
    # The complaint a user saw in place of Charter's message before errors conformed.
    assert "does not match the tool's output schema" in ran.stdout + ran.stderr, ran.stderr

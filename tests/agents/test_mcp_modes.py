"""`charter mcp serve --on-demand` and `--compact`: a small list that grows, and a lean one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
import pytest
from mcp import Client, ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_rig import build_rig, started
from test_mcp_clients import CHARTER

from charter.agents.mcp import RESUME_TOOL, CharterMCP
from charter.agents.toolsets import LOAD_TOOLSET
from charter.contract_tests.harnesses.github import REPO, GitHubHarness

if TYPE_CHECKING:
    from conftest import Env


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def serving(env: Env, changes: list[str], **options: Any) -> AsyncIterator[Client]:
    bridge = CharterMCP(env.toolkit(env.grant().token), approvals=env.approvals, **options)

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changes.append(message.method)

    async with Client(bridge.server, mode="legacy", message_handler=on_message) as client:
        yield client


def names(listed: types.ListToolsResult) -> set[str]:
    return {t.name for t in listed.tools}


@pytest.mark.anyio
async def test_on_demand_starts_with_the_loader_and_announces_each_load(env: Env) -> None:
    changes: list[str] = []
    async with serving(env, changes, on_demand=True) as client:
        assert client.server_capabilities.tools.list_changed is True  # type: ignore[union-attr]
        first = await client.list_tools()
        assert names(first) == {LOAD_TOOLSET, RESUME_TOOL}
        loaded = await client.call_tool(LOAD_TOOLSET, {"toolsets": ["notes.read"]})
        assert not loaded.is_error, loaded
        assert changes == ["notifications/tools/list_changed"]
        # The result names the tools; their schemas come once, in the new listing.
        assert loaded.structured_content is not None
        data = loaded.structured_content["data"]
        assert data["loaded"] == ["notes.read"]
        assert all(set(t) == {"name"} for t in data["tools"]), data
        after = names(await client.list_tools())
        assert "notes_list_notes" in after
        assert "notes_post_note" not in after
        listed = await client.call_tool("notes_list_notes", {"repo": "acme/web"})
        assert not listed.is_error, listed


@pytest.mark.anyio
async def test_a_refused_load_changes_nothing_and_says_why(env: Env) -> None:
    changes: list[str] = []
    async with serving(env, changes, on_demand=True) as client:
        wrong = await client.call_tool(LOAD_TOOLSET, {"toolsets": ["notes.admin"]})
        assert wrong.is_error
        assert wrong.structured_content is not None
        assert "notes.read" in wrong.structured_content["error"]["message"]
        assert changes == []
        assert names(await client.list_tools()) == {LOAD_TOOLSET, RESUME_TOOL}


@pytest.mark.anyio
async def test_on_demand_with_toolsets_loads_only_those_served(env: Env) -> None:
    changes: list[str] = []
    async with serving(env, changes, on_demand=True, toolsets=["notes.read"]) as client:
        loader = next(t for t in (await client.list_tools()).tools if t.name == LOAD_TOOLSET)
        assert loader.input_schema["properties"]["toolsets"]["items"]["enum"] == ["notes.read"]
        outside = await client.call_tool(LOAD_TOOLSET, {"toolsets": ["notes.write"]})
        assert outside.is_error
        assert changes == []
        # Not listed, and not served either: the filter holds for calls too.
        assert (await client.call_tool("notes_post_note", {"repo": "acme/web", "text": "x"})).is_error


@pytest.mark.anyio
async def test_a_server_that_lists_everything_announces_no_list_changes(env: Env) -> None:
    async with serving(env, []) as client:
        assert not client.server_capabilities.tools.list_changed  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_compact_listing_drops_output_schemas_and_results_still_arrive(env: Env) -> None:
    async with serving(env, [], compact=True) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert all(t.output_schema is None for t in tools.values())
        full = env.toolkit(env.grant().token).tools()
        assert sum(len(t.description) for t in tools.values() if t.name != RESUME_TOOL) <= sum(
            len(t.description) for t in full
        )
        result = await client.call_tool("notes_list_notes", {"repo": "acme/web"})
        assert not result.is_error
        assert result.structured_content is not None
        assert result.structured_content["status"] == "ok"


@pytest.mark.anyio
async def test_charter_mcp_serve_on_demand_and_compact_over_stdio(tmp_path: Path) -> None:
    """The command itself: its flags reach the server, and the stdio client is told of the change."""
    changes: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changes.append(message.method)

    with started({"github": GitHubHarness}) as harnesses:
        rig = build_rig(harnesses, tmp_path / "home")
        args = ["mcp", "serve", "--on-demand", "--compact", "--grant", rig.grant.token]
        server = StdioServerParameters(command=CHARTER, args=args, env=rig.environ)
        with (tmp_path / "server.err").open("w+") as errlog, anyio.fail_after(60):
            async with (
                stdio_client(server, errlog=errlog) as (read, write),
                ClientSession(read, write, message_handler=on_message) as session,
            ):
                hello = await session.initialize()
                assert hello.capabilities.tools is not None
                assert hello.capabilities.tools.list_changed is True
                first = await session.list_tools()
                assert names(first) == {LOAD_TOOLSET, RESUME_TOOL}
                await session.call_tool(LOAD_TOOLSET, {"toolsets": ["github.read"]})
                listed = (await session.list_tools()).tools
                read = await session.call_tool("github_list_issues", {"repo": REPO})
    assert changes == ["notifications/tools/list_changed"]
    assert "github_list_issues" in {t.name for t in listed}
    assert all(t.output_schema is None for t in listed)  # --compact
    assert read.structured_content is not None
    assert read.structured_content["status"] == "ok"

"""The MCP server in process, driven by the official `mcp` client over both protocol eras."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata
from typing import TYPE_CHECKING, Any

import mcp_types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from charter.agents.mcp import RESUME_TOOL, CharterMCP
from charter.schemas import ApprovalStatus

if TYPE_CHECKING:
    from conftest import Env

# "legacy" is the initialize handshake (MCP 2025-11-25); "auto" negotiates MCP 2026-07-28.
MODES = ["legacy", "auto"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def connect(env: Env, token: str, mode: str = "legacy", **options: Any) -> AsyncIterator[Client]:
    ask = options.pop("ask_in_client", False)
    bridge = CharterMCP(env.toolkit(token), ask_in_client=ask, approvals=env.approvals)
    async with Client(bridge.server, mode=mode, **options) as client:
        yield client


def payload(result: types.CallToolResult) -> dict[str, Any]:
    """What the agent reads: the JSON text, checked to say the same as the structured content."""
    assert result.structured_content is not None
    text = result.content[0]
    assert isinstance(text, types.TextContent)
    assert json.loads(text.text) == (result.structured_content.get("error") or result.structured_content)
    return result.structured_content


def answering(decision: str | None, asked: list[str]) -> Any:
    """An elicitation callback standing for the person: approve, deny, or (None) dismiss the question."""

    async def callback(ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        if decision is None:
            return types.ElicitResult(action="decline")
        return types.ElicitResult(action="accept", content={"decision": decision})

    return callback


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_lists_exactly_the_grants_tools_with_their_schemas(env: Env, mode: str) -> None:
    token = env.grant().token
    expected = {t.name: t for t in env.toolkit(token).tools()}
    async with connect(env, token, mode) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    assert set(listed) == {*expected, RESUME_TOOL}
    assert "notes_delete_note" not in listed  # destructive, and the grant does not name it
    for name, tool in expected.items():
        assert listed[name].description == tool.description
        assert listed[name].input_schema == tool.input_schema
        assert listed[name].output_schema is not None
    assert listed["notes_list_notes"].annotations is not None
    assert listed["notes_list_notes"].annotations.read_only_hint is True
    assert listed["notes_post_note"].annotations is not None
    assert listed["notes_post_note"].annotations.read_only_hint is False


@pytest.mark.anyio
async def test_read_only_grant_gets_no_resume_tool(env: Env) -> None:
    async with connect(env, env.grant(verbs=("read",)).token) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert names == {"notes_list_notes", "notes_get_note"}


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_read_returns_the_toolkits_data_marked_untrusted(env: Env, mode: str) -> None:
    token = env.grant().token
    async with connect(env, token, mode) as client:
        result = await client.call_tool("notes_list_notes", {"repo": "acme/web"})
    assert not result.is_error
    body = payload(result)
    assert body["status"] == "ok"
    direct = env.toolkit(token).call("notes_list_notes", {"repo": "acme/web"})
    assert body["data"] == direct.to_dict()["data"]
    assert "instructions" in body["data"]["untrusted"]
    first = body["data"]["items"][0]
    assert first["provenance"]["connector"] == "notes"
    assert first["provenance"]["author"] == "eve"
    assert "ignore previous instructions" in json.dumps(first)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("tool", "args", "code"),
    [
        ("notes_list_notes", {"repo": "evil/repo"}, "grant_denied"),
        ("notes_get_note", {"repo": "acme/web", "number": -1}, "validation_error"),
        ("notes_delete_note", {"repo": "acme/web", "number": 1}, "grant_denied"),
        (RESUME_TOOL, {}, "validation_error"),
    ],
)
async def test_refused_call_is_a_tool_error_carrying_the_coded_error(
    env: Env, tool: str, args: dict[str, Any], code: str
) -> None:
    async with connect(env, env.grant().token) as client:
        result = await client.call_tool(tool, args)
    assert result.is_error
    error = payload(result)["error"]
    assert error["error"] == code
    assert error["message"]
    assert env.service.writes == []


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_paused_write_returns_its_approval_and_runs_once_after_the_person_approves(
    env: Env, mode: str
) -> None:
    args = {"repo": "acme/web", "text": "Shipped in 2.4"}
    async with connect(env, env.grant().token, mode) as client:
        paused = await client.call_tool("notes_post_note", args)
        pause = payload(paused)
        assert not paused.is_error
        assert pause["status"] == "approval_required"
        assert "tagged external" in pause["reasons"][0]
        assert "Shipped in 2.4" in pause["preview"]
        assert RESUME_TOOL in pause["how_to_resume"]
        approval_id = pause["approval_id"]
        assert approval_id in paused.content[0].text  # type: ignore[union-attr]

        waiting = await client.call_tool(RESUME_TOOL, {"approval_id": approval_id})
        assert payload(waiting)["status"] == "approval_required"
        assert env.service.writes == []

        env.approvals.approve(approval_id, by="mona")
        done = await client.call_tool(RESUME_TOOL, {"approval_id": approval_id})
        again = await client.call_tool(RESUME_TOOL, {"approval_id": approval_id})
    assert payload(done)["status"] == "ok"
    assert payload(done)["data"]["replayed"] is False
    assert payload(again)["data"]["replayed"] is True
    assert env.service.writes == ["post:Shipped in 2.4"]


@pytest.mark.anyio
async def test_repeating_the_paused_call_after_approval_runs_it_once(env: Env) -> None:
    args = {"repo": "acme/web", "text": "Fixed"}
    async with connect(env, env.grant().token) as client:
        approval_id = payload(await client.call_tool("notes_post_note", args))["approval_id"]
        env.approvals.approve(approval_id, by="mona")
        done = await client.call_tool("notes_post_note", args)
    assert payload(done)["status"] == "ok"
    assert env.service.writes == ["post:Fixed"]


@pytest.mark.anyio
async def test_denied_call_resumes_as_an_error_and_sends_nothing(env: Env) -> None:
    async with connect(env, env.grant().token) as client:
        approval_id = payload(await client.call_tool("notes_post_note", {"repo": "acme/web", "text": "x"}))[
            "approval_id"
        ]
        env.approvals.deny(approval_id, by="mona", reason="not now")
        result = await client.call_tool(RESUME_TOOL, {"approval_id": approval_id})
    assert result.is_error
    assert "not now" in payload(result)["error"]["message"]
    assert env.service.writes == []


@pytest.mark.anyio
async def test_revoked_grant_lists_no_tools_and_says_why(env: Env) -> None:
    grant = env.grant()
    async with connect(env, grant.token) as client:
        env.authority.revoke(grant.id)
        with pytest.raises(MCPError, match="revoked"):
            await client.list_tools()
        result = await client.call_tool("notes_list_notes", {"repo": "acme/web"})
    assert result.is_error
    assert payload(result)["error"]["error"] == "grant_denied"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_person_asked_in_the_client_approves_and_the_call_runs(env: Env, mode: str) -> None:
    asked: list[str] = []
    async with connect(
        env, env.grant().token, mode, ask_in_client=True, elicitation_callback=answering("approve", asked)
    ) as client:
        result = await client.call_tool("notes_post_note", {"repo": "acme/web", "text": "Looks good"})
    assert payload(result)["status"] == "ok"
    assert env.service.writes == ["post:Looks good"]
    assert len(asked) == 1
    assert "Looks good" in asked[0]
    assert "tagged external" in asked[0]
    (decided,) = env.approvals.list(ApprovalStatus.APPROVED)
    assert decided.decided_by == "mona (asked in the MCP client)"
    decisions = [e for e in env.audit.entries() if e.action.startswith("approval.")]
    assert [(e.actor, e.action) for e in decisions] == [("person", "approval.approve")]


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_person_asked_in_the_client_denies_and_nothing_is_sent(env: Env, mode: str) -> None:
    async with connect(
        env, env.grant().token, mode, ask_in_client=True, elicitation_callback=answering("deny", [])
    ) as client:
        result = await client.call_tool("notes_post_note", {"repo": "acme/web", "text": "spam"})
    assert result.is_error
    assert payload(result)["error"]["error"] == "grant_denied"
    assert env.service.writes == []
    (denied,) = env.approvals.list(ApprovalStatus.DENIED)
    assert denied.decided_by == "mona (asked in the MCP client)"


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_dismissed_question_leaves_the_call_pending(env: Env, mode: str) -> None:
    async with connect(
        env, env.grant().token, mode, ask_in_client=True, elicitation_callback=answering(None, [])
    ) as client:
        result = await client.call_tool("notes_post_note", {"repo": "acme/web", "text": "later"})
    assert payload(result)["status"] == "approval_required"
    assert [r.status for r in env.approvals.list()] == [ApprovalStatus.PENDING]
    assert env.service.writes == []


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_client_is_never_asked_unless_the_server_is_told_to(env: Env, mode: str) -> None:
    asked: list[str] = []
    async with connect(
        env, env.grant().token, mode, elicitation_callback=answering("approve", asked)
    ) as client:
        result = await client.call_tool("notes_post_note", {"repo": "acme/web", "text": "hi"})
    assert payload(result)["status"] == "approval_required"
    assert asked == []
    assert env.service.writes == []


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_every_tool_has_a_title_and_every_hint_and_the_server_its_version(env: Env, mode: str) -> None:
    async with connect(env, env.grant().token, mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        info = client.server_info
    if mode == "legacy":
        assert info is not None
        assert info.version == metadata.version("charter")
    for tool in tools.values():
        hints = tool.annotations
        assert tool.title, tool.name
        assert hints is not None
        assert None not in (hints.read_only_hint, hints.idempotent_hint, hints.open_world_hint), tool.name
    assert tools["notes_list_notes"].title == "List notes (notes)"
    assert tools["notes_list_notes"].annotations.idempotent_hint is True  # type: ignore[union-attr]
    assert tools["notes_post_note"].annotations.idempotent_hint is False  # type: ignore[union-attr]
    # The notes connector keeps its drafts in Charter's store: drafting reaches no service.
    assert tools["notes_draft_note"].annotations.open_world_hint is False  # type: ignore[union-attr]
    assert tools["notes_post_note"].annotations.open_world_hint is True  # type: ignore[union-attr]


@pytest.mark.anyio
@pytest.mark.parametrize("cursor", ["bogus", "", "x" * 10_000])
async def test_a_tools_list_cursor_never_handed_out_is_an_error(env: Env, cursor: str) -> None:
    async with connect(env, env.grant().token) as client:
        assert (await client.list_tools()).next_cursor is None  # the control: no cursor is ever given
        with pytest.raises(MCPError) as refused:
            await client.list_tools(cursor=cursor)
    assert refused.value.error.code == types.INVALID_PARAMS
    assert len(refused.value.error.message) < 200

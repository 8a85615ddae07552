"""Every tool of every connector through `charter mcp serve`, checked by the official `mcp` client.

The server runs as a real process on a Charter home whose five connections (GitHub, Gmail,
Calendar, SharePoint, Notion) were made by the consent flows against the sandboxes. Over stdio and
over streamable HTTP the client calls each tool with its contract example (reads, drafts, writes
that pause, the resume after a person approves, draft commits) and with an invalid example
(errors). The client's own `call_tool` validates each structured result against the tool's
outputSchema; errors, which it skips, are validated explicitly, and every result is checked again
here with `jsonschema`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio
import httpx2
import jsonschema
import mcp_types as types
import pytest
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_rig import Rig, build_rig, http_server, started
from referencing import Registry
from test_mcp_clients import CHARTER

from charter.agents import ApprovalStore, Toolkit
from charter.agents.mcp import RESUME_TOOL, CharterMCP
from charter.contract_tests.harness import ContractHarness
from charter.schemas import ERRORS_BY_CODE

# Enough pages for any listing the sandboxes seed at the examples' page sizes.
MAX_PAGES = 40
# Writes whose example repeats a draft made earlier in the same run; none since drafts of pull
# requests stay in Charter's store.
CLASHES: set[str] = set()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def harnesses() -> Iterator[dict[str, ContractHarness]]:
    with started() as running:
        yield running


@pytest.fixture
def rig(harnesses: dict[str, ContractHarness], tmp_path: Path) -> Rig:
    return build_rig(harnesses, tmp_path / "home")


@dataclass
class Seen:
    """What the run met, per result shape, so the test proves it reached every one."""

    shapes: dict[str, set[str]] = field(default_factory=lambda: {"ok": set(), "approval_required": set()})
    errors: set[str] = field(default_factory=set)


class Checker:
    """Calls tools through the client and checks every result against the tool's own outputSchema."""

    def __init__(self, session: ClientSession, rig: Rig) -> None:
        self.session, self.rig, self.seen = session, rig, Seen()
        self.schemas: dict[str, dict[str, Any]] = {}
        self.validators: dict[str, Any] = {}
        self.approvals = ApprovalStore(rig.home)

    async def start(self) -> list[types.Tool]:
        hello = await self.session.initialize()
        assert hello.server_info.version == metadata.version("charter")
        tools = (await self.session.list_tools()).tools
        for tool in tools:
            assert tool.output_schema is not None, tool.name
            self.schemas[tool.name] = tool.output_schema
        return tools

    def conforms(self, name: str, result: types.CallToolResult) -> dict[str, Any]:
        if name not in self.validators:
            schema = self.schemas[name]
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            # No registry: a `$ref` must resolve inside the schema itself, as clients resolve it.
            self.validators[name] = cls(schema, registry=Registry())
        problems = [e.message for e in self.validators[name].iter_errors(result.structured_content)]
        assert not problems, f"{name}: {problems[:3]}"
        assert result.structured_content is not None
        return result.structured_content

    async def call(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """One call, validated by the client (it raises on a non-conforming result) and here."""
        result = await self.session.call_tool(name, args)
        if result.is_error:
            # The client validates only successful results; Inspector validates errors too.
            await self.session.validate_tool_result(name, result)
        body = self.conforms(name, result)
        assert result.is_error is (body["status"] == "error"), name
        # Clients that read only the text get the same JSON: the error object, or the whole result.
        text = result.content[0]
        assert isinstance(text, types.TextContent)
        assert json.loads(text.text) == body.get("error", body), name
        if body["status"] == "error":
            self.seen.errors.add(name)
        else:
            self.seen.shapes[body["status"]].add(name)
        return body

    async def settle(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        """Call; when it pauses, approve it as the person and resume it."""
        body = await self.call(name, args)
        if body["status"] != "approval_required":
            return body
        self.approvals.approve(body["approval_id"], by="mona")
        done = await self.call(RESUME_TOOL, {"approval_id": body["approval_id"]})
        if done["status"] == "ok":
            self.seen.shapes["ok"].add(name)  # the paused tool's own result, delivered by the resume
        return done


async def every_tool(checker: Checker) -> None:
    """Each listed tool with its valid example, then with an invalid one; drafts then committed."""
    tools = await checker.start()
    names = {t.name for t in tools}
    by_name = {t.name: t for t in tools}
    for tool in tools:
        assert tool.title, tool.name
        assert tool.annotations is not None
        assert tool.annotations.idempotent_hint is not None, tool.name
    rig = checker.rig
    missing = names - set(rig.examples) - {RESUME_TOOL} - {n for n in names if n.endswith("_commit_draft")}
    assert not missing, f"no example for {sorted(missing)}"
    drafts: dict[str, list[str]] = {}
    for name in sorted(names & set(rig.examples), key=_reads_first(tools)):
        draft_id = await one_tool(checker, by_name[name])
        if draft_id is not None:
            drafts.setdefault(name.split("_", 1)[0], []).append(draft_id)
    for service, ids in drafts.items():
        # A write that ran since may have made a draft stale (an archived page, a deleted file):
        # its commit is an error, which must conform too; some draft of each service commits.
        outcomes = [await checker.settle(f"{service}_commit_draft", {"draft_id": i}) for i in ids]
        assert any(o["status"] == "ok" for o in outcomes), (service, outcomes)
        assert (await checker.call(f"{service}_commit_draft", {"draft_id": "nope"}))["status"] == "error"
    assert (await checker.call(RESUME_TOOL, {"approval_id": "apr_unknown"}))["status"] == "error"
    assert (await checker.call("github_get_issue", {"repo": "other/repo", "number": 1}))["status"] == "error"
    assert await walk_pages(checker, tools) > len(names & set(rig.examples)) / 4
    assert set(rig.invalid) & names <= checker.seen.errors
    untried = names - checker.seen.shapes["ok"] - CLASHES
    assert not untried, f"never returned ok: {sorted(untried)}"
    assert checker.seen.shapes["approval_required"], "no call paused: the pause shape went unchecked"


async def walk_pages(checker: Checker, tools: list[types.Tool]) -> int:
    """Every page of every paginated read, two items a page: none empty while more follow."""
    pages = 0
    for tool in tools:
        if "cursor" not in tool.input_schema.get("properties", {}) or tool.name not in checker.rig.examples:
            continue
        args = dict(checker.rig.examples[tool.name])
        # Small pages are where a listing filtered after fetching (issues without pull requests) runs dry.
        args.update({k: 2 for k in ("per_page", "page_size") if k in tool.input_schema["properties"]})
        for _ in range(MAX_PAGES):
            page = (await checker.call(tool.name, args))["data"]
            if "items" not in page:
                break  # a cursor that is not a page's (a sync token's start, say)
            pages += 1
            assert page["items"] or page["next_cursor"] is None, f"{tool.name}: an empty page with more after"
            if page["next_cursor"] is None:
                break
            args["cursor"] = page["next_cursor"]
    return pages


async def one_tool(checker: Checker, tool: types.Tool) -> str | None:
    """The tool with its invalid example (an error), then its valid one; the draft id it made, if any."""
    name, rig = tool.name, checker.rig
    if name in rig.invalid:
        wrong = await checker.call(name, rig.invalid[name])
        assert wrong["status"] == "error", (name, wrong)
        assert wrong["error"]["error"] in ERRORS_BY_CODE, wrong
        assert wrong["error"]["message"], wrong
    body = await checker.settle(name, rig.examples[name])
    if name in CLASHES:
        # The draft of the same change came first and holds it: the service refuses a second.
        assert body["status"] == "error", (name, body)
        assert body["error"]["error"] == "conflict", (name, body)
        return None
    assert body["status"] == "ok", (name, body)
    if not name.split("_", 1)[1].startswith("draft_"):
        return None
    # A draft kept in Charter's store reaches no service until it is committed.
    assert tool.annotations is not None
    assert tool.annotations.open_world_hint is (body["data"]["location"] == "native"), name
    return str(body["data"]["draft_id"])


def _reads_first(tools: list[types.Tool]) -> Callable[[str], tuple[int, str]]:
    """Reads before drafts before writes, so the writes do not change what the reads expect."""
    reads = {t.name for t in tools if t.annotations and t.annotations.read_only_hint}
    return lambda name: (0 if name in reads else 1 if "_draft_" in name else 2, name)


@pytest.mark.anyio
async def test_every_tool_conforms_over_stdio(rig: Rig, tmp_path: Path) -> None:
    server = StdioServerParameters(
        command=CHARTER, args=["mcp", "serve", "--grant", rig.grant.token], env=rig.environ
    )
    with (tmp_path / "server.err").open("w+") as errlog, anyio.fail_after(120):
        async with (
            stdio_client(server, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await every_tool(Checker(session, rig))


@asynccontextmanager
async def http_session(url: str, token: str) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        yield session


@pytest.fixture
def http_url(rig: Rig, tmp_path: Path) -> Iterator[str]:
    with (tmp_path / "server.err").open("w+") as errlog, http_server(CHARTER, rig, errlog) as url:
        yield url


@pytest.mark.anyio
async def test_every_tool_conforms_over_http(rig: Rig, http_url: str) -> None:
    with anyio.fail_after(120):
        async with http_session(http_url, rig.grant.token) as session:
            await every_tool(Checker(session, rig))


def _listing_chars(tools: list[types.Tool], *, output_schemas: bool = True) -> int:
    exclude = None if output_schemas else {"output_schema"}
    return len(
        json.dumps(
            [t.model_dump(mode="json", by_alias=True, exclude_none=True, exclude=exclude) for t in tools]
        )
    )


def test_mcp_tool_list_tokens_per_mode_are_printed_and_toolsets_shrink_it(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    kit = Toolkit(rig.grant.token, home=rig.home)
    full = CharterMCP(kit).tools()
    per_set = {s.name: _listing_chars(CharterMCP(kit, toolsets=[s.name]).tools()) for s in kit.toolsets()}
    figures = {
        "all tools": _listing_chars(full),
        "all tools, no output schemas": _listing_chars(full, output_schemas=False),
        "--compact": _listing_chars(CharterMCP(kit, compact=True).tools()),
        "--on-demand (at start)": _listing_chars(CharterMCP(kit, on_demand=True).tools()),
        "--toolsets github.read": per_set["github.read"],
        f"largest toolset ({max(per_set, key=per_set.__getitem__)})": max(per_set.values()),
    }
    report = "; ".join(f"{mode}: ~{chars // 4} tokens" for mode, chars in figures.items())
    with capsys.disabled():
        print(f"\n[mcp tools/list, {len(full)} tools] {report}")
    assert max(per_set.values()) < figures["all tools"] / 3, report

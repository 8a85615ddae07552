"""`charter mcp serve` as a real process, driven by the official `mcp` client over stdio and HTTP.

The server acts on the GitHub sandbox through a connection made by the consent flow; the person
approves the paused write with `charter approvals approve` in another process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import mcp_types as types
import pytest
from github_consent import connect_sandbox
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from charter.agents import Toolkit
from charter.agents.mcp import RESUME_TOOL
from charter.auth.grants import GrantAuthority, IssuedGrant
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.sandboxes.github import GitHubSandbox

CHARTER = str(Path(sys.executable).with_name("charter"))
COMMENT = {"repo": "acme/web", "number": 3, "body": "Reproduced on 2.4; a fix is on the way."}
# A guard against a hang, not a speed check: several CLI processes start inside it on a loaded machine.
HANG = 180


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def grant(home: CharterHome, sb: GitHubSandbox) -> IssuedGrant:
    connection = connect_sandbox(Vault(home), sb)
    verbs = ("read", "draft", "write")
    return GrantAuthority(home).issue(
        "mona", "triage-bot", (connection.id,), verbs, constraints={"repos": ("acme/web",)}
    )


@pytest.fixture
def environ(worker_env: dict[str, str]) -> dict[str, str]:
    """The server's and the CLI's environment: the same Charter home (and database) as the test."""
    return {k: v for k, v in worker_env.items() if k != "CHARTER_GRANT"}


@pytest.fixture
def errlog(tmp_path: Path) -> Iterator[Any]:
    with (tmp_path / "server.err").open("w+") as log:
        yield log


async def approve_in_cli(approval_id: str, environ: dict[str, str]) -> str:
    done = await anyio.run_process([CHARTER, "approvals", "approve", approval_id, "--yes"], env=environ)
    return done.stdout.decode()


def body(result: types.CallToolResult) -> dict[str, Any]:
    assert result.structured_content is not None, result.content
    return result.structured_content


async def agent_session(
    session: ClientSession, grant: IssuedGrant, home: CharterHome, sb: GitHubSandbox, environ: dict[str, str]
) -> None:
    """What an agent does: list tools, read, write (pauses), wait for the person, resume."""
    await session.initialize()
    listed = {t.name for t in (await session.list_tools()).tools}
    assert listed == {t.name for t in Toolkit(grant.token, home=home).tools()} | {RESUME_TOOL}
    assert "github_merge_pull_request" not in listed

    issues = await session.call_tool("github_list_issues", {"repo": "acme/web"})
    assert not issues.is_error, issues.content
    assert body(issues)["data"]["items"][0]["provenance"]["connector"] == "github"

    before = len(sb.state.comments("acme/web", 3))
    paused = await session.call_tool("github_comment", COMMENT)
    assert not paused.is_error, paused.content
    assert body(paused)["status"] == "approval_required"
    approval_id = body(paused)["approval_id"]
    assert len(sb.state.comments("acme/web", 3)) == before

    shown = await approve_in_cli(approval_id, environ)
    assert "Reproduced on 2.4" in shown

    done = await session.call_tool(RESUME_TOOL, {"approval_id": approval_id})
    assert body(done)["status"] == "ok", done.content
    again = await session.call_tool(RESUME_TOOL, {"approval_id": approval_id})
    assert body(again)["data"]["replayed"] is True
    comments = sb.state.comments("acme/web", 3)
    assert len(comments) == before + 1
    assert comments[-1].body.startswith(COMMENT["body"])


@pytest.mark.anyio
async def test_stdio_client_lists_reads_pauses_and_resumes_once_after_cli_approval(
    grant: IssuedGrant, home: CharterHome, sb: GitHubSandbox, environ: dict[str, str], errlog: Any
) -> None:
    args = ["mcp", "serve", "--grant", grant.token]
    server = StdioServerParameters(command=CHARTER, args=args, env=environ)
    with anyio.fail_after(HANG):
        async with (
            stdio_client(server, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await agent_session(session, grant, home, sb, environ)


@pytest.fixture
def http_server(grant: IssuedGrant, environ: dict[str, str], errlog: Any) -> Iterator[str]:
    """`charter mcp serve --http --port 0` running; yields its endpoint URL."""
    environ = {**environ, "CHARTER_GRANT": grant.token}
    process = subprocess.Popen(
        [CHARTER, "mcp", "serve", "--http", "--port", "0"],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=errlog,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("MCP endpoint: http://127.0.0.1:"), line + _read(errlog)
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(10)


def _read(log: Any) -> str:
    log.seek(0)
    return str(log.read())


@pytest.mark.anyio
async def test_http_client_with_the_grant_as_bearer_lists_reads_pauses_and_resumes_once(
    grant: IssuedGrant, home: CharterHome, sb: GitHubSandbox, environ: dict[str, str], http_server: str
) -> None:
    bearer = {"Authorization": f"Bearer {grant.token}"}
    with anyio.fail_after(HANG):
        async with (
            httpx2.AsyncClient(headers=bearer) as http,
            streamable_http_client(http_server, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await agent_session(session, grant, home, sb, environ)


def test_http_refuses_requests_without_the_grant_before_any_mcp(
    grant: IssuedGrant, home: CharterHome, http_server: str
) -> None:
    hello = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    other = GrantAuthority(home).issue("mona", "other-bot", grant.claims.connections, ("read",))
    for headers, reason in [
        ({}, "missing_credential"),
        ({"Authorization": "Basic bW9uYTpodW50ZXIy"}, "missing_credential"),
        ({"Authorization": "Bearer chg_forged.token"}, "malformed"),
        ({"Authorization": f"Bearer {other.token}"}, "other_grant"),
    ]:
        response = httpx.post(http_server, json=hello, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer ")
        assert response.json()["error"] == "grant_denied"
        assert response.json()["details"]["reason"] == reason
        assert grant.token not in response.text


@pytest.mark.anyio
async def test_http_grant_revoked_mid_session_answers_as_a_tool_error_not_a_401(
    grant: IssuedGrant, home: CharterHome, http_server: str
) -> None:
    bearer = {"Authorization": f"Bearer {grant.token}"}
    with anyio.fail_after(HANG):
        async with (
            httpx2.AsyncClient(headers=bearer) as http,
            streamable_http_client(http_server, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            await session.list_tools()
            assert not (await session.call_tool("github_list_issues", {"repo": "acme/web"})).is_error
            GrantAuthority(home).revoke(grant.claims.id)
            refused = await session.call_tool("github_list_issues", {"repo": "acme/web"})
            assert refused.is_error
            assert body(refused)["error"]["error"] == "grant_denied"
            assert "revoked" in body(refused)["error"]["message"]
            assert grant.token not in str(refused.content)
    # A new session with the same token is refused before any MCP, as at every session start.
    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {}}
    response = httpx.post(http_server, json=hello, headers=bearer)
    assert response.status_code == 401
    assert response.json()["details"]["reason"] == "revoked"


async def stdio_session(grant: IssuedGrant, environ: dict[str, str], errlog: Any) -> Any:
    server = StdioServerParameters(
        command=CHARTER, args=["mcp", "serve", "--grant", grant.token], env=environ
    )
    return stdio_client(server, errlog=errlog)


@pytest.mark.anyio
async def test_small_issue_pages_are_never_empty_before_the_end_and_miss_no_issue(
    grant: IssuedGrant, sb: GitHubSandbox, environ: dict[str, str], errlog: Any
) -> None:
    repo = sb.state.repo("acme/web")
    newest = sorted(repo.issues.values(), key=lambda i: -i.number)
    # The control: GitHub's first page of two holds only pull requests, which the tool leaves out.
    assert all(i.pull is not None for i in newest[:2])
    expected = {i.number for i in newest if i.pull is None}
    seen: list[int] = []
    with anyio.fail_after(HANG):
        async with (
            await stdio_session(grant, environ, errlog) as (read, write),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            args: dict[str, Any] = {"repo": "acme/web", "state": "all", "per_page": 2}
            while True:
                page = body(await s.call_tool("github_list_issues", args))["data"]
                numbers = [item["data"]["number"] for item in page["items"]]
                assert numbers or page["next_cursor"] is None, "an empty page that says there is more"
                assert len(numbers) <= 2
                seen += numbers
                if page["next_cursor"] is None:
                    break
                args["cursor"] = page["next_cursor"]
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


@pytest.mark.anyio
async def test_search_needs_no_repo_qualifier_and_stays_in_the_granted_repo(
    grant: IssuedGrant, environ: dict[str, str], errlog: Any
) -> None:
    with anyio.fail_after(HANG):
        async with (
            await stdio_session(grant, environ, errlog) as (read, write),
            ClientSession(read, write) as s,
        ):
            await s.initialize()
            found = await s.call_tool("github_search_issues", {"repo": "acme/web", "query": "is:issue"})
            assert not found.is_error, found.content
            items = body(found)["data"]["items"]
            assert items
            assert {i["data"]["repo"] for i in items} == {"acme/web"}
            # A negated qualifier must not turn the search into "everything but the granted repo".
            negated = await s.call_tool(
                "github_search_issues", {"repo": "acme/web", "query": "-repo:acme/web"}
            )
            assert not negated.is_error, negated.content
            assert {i["data"]["repo"] for i in body(negated)["data"]["items"]} <= {"acme/web"}
            other = await s.call_tool(
                "github_search_issues", {"repo": "acme/web", "query": "repo:acme/api x"}
            )
            assert body(other)["error"]["error"] == "validation_error"


@pytest.mark.anyio
async def test_toolsets_serve_only_those_tools_and_refuse_calls_to_the_others(
    grant: IssuedGrant, home: CharterHome, sb: GitHubSandbox, environ: dict[str, str], errlog: Any
) -> None:
    allowed = {t.name for t in Toolkit(grant.token, home=home).tools()}
    reads = {t.name for t in Toolkit(grant.token, home=home).tools(["github.read"])}
    assert "github_comment" in allowed - reads  # the control: the grant itself allows commenting
    args = ["mcp", "serve", "--grant", grant.token, "--toolsets", "github.read"]
    server = StdioServerParameters(command=CHARTER, args=args, env=environ)
    before = len(sb.state.comments("acme/web", 3))
    with anyio.fail_after(HANG):
        async with stdio_client(server, errlog=errlog) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            assert {t.name for t in (await s.list_tools()).tools} == reads  # no charter_resume either
            assert not (await s.call_tool("github_list_issues", {"repo": "acme/web"})).is_error
            refused = await s.call_tool("github_comment", COMMENT)
            assert refused.is_error
            assert body(refused)["error"]["error"] == "validation_error"
            assert "github.read" in body(refused)["error"]["message"]
    assert len(sb.state.comments("acme/web", 3)) == before


def test_an_unknown_toolset_fails_before_serving_naming_the_grants_toolsets(
    grant: IssuedGrant, environ: dict[str, str]
) -> None:
    serve = [CHARTER, "mcp", "serve", "--grant", grant.token, "--toolsets", "github.read,gihtub.read"]
    done = subprocess.run(serve, env=environ, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "error[validation_error]: no toolset 'gihtub.read' in this grant" in done.stderr
    assert "github.read" in done.stderr.partition("its toolsets are:")[2]
    assert done.stdout == ""  # on stdio, stdout belongs to the MCP client

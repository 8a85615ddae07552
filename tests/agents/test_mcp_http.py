"""The bearer gate in front of streamable HTTP: only the served grant, verified on every request."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from charter.agents.mcp import GrantBearer

if TYPE_CHECKING:
    from conftest import Env


class Recorder:
    """Stands for the MCP app: records what reached it."""

    def __init__(self) -> None:
        self.reached: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"mcp"})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def post(gate: GrantBearer, token: str | None, session: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    if session is not None:
        headers["mcp-session-id"] = session
    transport = httpx.ASGITransport(app=gate)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)


@pytest.mark.anyio
async def test_the_served_grant_reaches_mcp(env: Env) -> None:
    grant = env.grant()
    app = Recorder()
    response = await post(GrantBearer(app, env.authority, grant.id), grant.token)
    assert response.status_code == 200
    assert app.reached == ["/mcp"]


@pytest.mark.anyio
async def test_revoked_grant_is_refused_from_its_next_request(env: Env) -> None:
    grant = env.grant()
    app = Recorder()
    gate = GrantBearer(app, env.authority, grant.id)
    assert (await post(gate, grant.token)).status_code == 200
    env.authority.revoke(grant.id)
    refused = await post(gate, grant.token)
    assert refused.status_code == 401
    assert refused.json()["details"]["reason"] == "revoked"
    assert app.reached == ["/mcp"]


@pytest.mark.anyio
async def test_expired_grant_is_refused(env: Env) -> None:
    grant = env.grant()
    app = Recorder()
    env.clock.advance(hours=9)
    refused = await post(GrantBearer(app, env.authority, grant.id), grant.token)
    assert refused.status_code == 401
    assert refused.json()["details"]["reason"] == "expired"
    assert app.reached == []


@pytest.mark.anyio
async def test_forged_grant_with_a_valid_shape_is_refused(env: Env) -> None:
    grant = env.grant()
    head, _, signature = grant.token.rpartition(".")
    forged = f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    app = Recorder()
    refused = await post(GrantBearer(app, env.authority, grant.id), forged)
    assert refused.status_code == 401
    assert refused.json()["error"] == "grant_denied"
    assert app.reached == []


@pytest.mark.anyio
@pytest.mark.parametrize("token", [None, "", "not-a-grant"])
async def test_missing_or_junk_credential_is_refused(env: Env, token: str | None) -> None:
    app = Recorder()
    refused = await post(GrantBearer(app, env.authority, env.grant().id), token)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith('Bearer realm="charter"')
    assert app.reached == []


@pytest.mark.anyio
@pytest.mark.parametrize("lapse", ["revoked", "expired", "budget_exhausted"])
async def test_a_grant_lapsing_within_a_session_reaches_mcp_to_be_answered_there(
    env: Env, lapse: str
) -> None:
    grant = env.grant(budget=1) if lapse == "budget_exhausted" else env.grant()
    app = Recorder()
    gate = GrantBearer(app, env.authority, grant.id)
    if lapse == "revoked":
        env.authority.revoke(grant.id)
    elif lapse == "expired":
        env.clock.advance(hours=9)
    else:
        env.authority.consume(grant.id)
    # The control: the same request starting a session is refused with the reason.
    refused = await post(gate, grant.token)
    assert refused.status_code == 401
    assert refused.json()["details"]["reason"] == lapse
    assert (await post(gate, grant.token, session="s1")).status_code == 200
    assert app.reached == ["/mcp"]


@pytest.mark.anyio
async def test_a_session_header_lets_no_other_credential_through(env: Env) -> None:
    grant, other = env.grant(), env.grant()
    env.authority.revoke(other.id)
    head, _, signature = grant.token.rpartition(".")
    forged = f"{head}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    app = Recorder()
    gate = GrantBearer(app, env.authority, grant.id)
    for token in [None, "not-a-grant", forged, other.token]:
        assert (await post(gate, token, session="s1")).status_code == 401, token
    assert app.reached == []

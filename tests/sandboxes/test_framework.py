"""The framework without a socket: ASGI in-process, server lifecycle, repr safety."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from charter.sandboxes import ConnectionDropped
from charter.sandboxes.github import GitHubSandbox


def _get(sandbox: GitHubSandbox, path: str, token: str) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=sandbox.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:1") as client:
            return await client.get(path, headers={"Authorization": f"token {token}"})

    return asyncio.run(run())


def test_the_app_serves_in_process_without_a_socket() -> None:
    sandbox = GitHubSandbox()
    token = sandbox.oauth.issue_token().access_token

    answer = _get(sandbox, "/repos/acme/web", token)

    assert answer.json()["full_name"] == "acme/web"
    assert sandbox.requests.count(path="/repos/acme/web") == 1


def test_a_drop_without_a_socket_raises_connection_dropped() -> None:
    sandbox = GitHubSandbox()
    token = sandbox.oauth.issue_token().access_token
    sandbox.faults.drop_next(1)

    with pytest.raises(ConnectionDropped):
        _get(sandbox, "/user", token)


def test_start_serves_on_loopback_and_stop_ends_it() -> None:
    sandbox = GitHubSandbox().start()
    url = sandbox.url
    try:
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/_sandbox/faults").status_code == 200
    finally:
        sandbox.stop()
    with pytest.raises(RuntimeError, match="not started"):
        _ = sandbox.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_sandbox/faults")


def test_reset_restores_the_seed_and_forgets_tokens(sb: GitHubSandbox) -> None:
    token = sb.oauth.issue_token().access_token
    sb.state.repo("acme/web").issues.pop(1)
    sb.clock.advance(10)

    sb.reset()

    assert 1 in sb.state.repo("acme/web").issues
    assert sb.tokens.lookup(token) is None
    assert len(sb.requests) == 0


def test_no_repr_shows_a_token(sb: GitHubSandbox) -> None:
    issued = sb.oauth.issue_token()

    shown = repr(sb) + repr(sb.tokens) + repr(sb.oauth) + repr(sb.faults) + repr(issued)

    assert issued.access_token not in shown
    assert "client-secret" not in shown


def test_a_defect_in_the_emulator_is_answered_500_and_recorded(sb: GitHubSandbox, api: httpx.Client) -> None:
    # Corrupt the state so the handler fails in a way no request could cause.
    sb.state.repo("acme/web").issues[1].labels = None  # type: ignore[assignment]

    answer = api.get("/repos/acme/web/issues/1")

    assert answer.status_code == 500
    assert "sandbox_error" in answer.json()
    assert sb.requests.count(status=500) == 1

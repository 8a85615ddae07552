"""Provider quirks are hooks on the provider: the generic OAuth client knows only RFC 6749's names."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qsl

import httpx
import pytest

from charter.auth.consent import CodeRejected, OAuthClient, RefreshRejected
from charter.auth.providers import GITHUB, NOTION, ClientAuth, Provider
from charter.schemas import UpstreamError

# GitHub with its quirks taken away: what any provider that follows RFC 6749 gets.
PLAIN = dataclasses.replace(GITHUB, error_names={}, token_response_hooks=())


def client_for(
    provider: Provider, answer: httpx.Response, seen: list[httpx.Request] | None = None
) -> OAuthClient:
    def handler(request: httpx.Request) -> httpx.Response:
        (seen if seen is not None else []).append(request)
        return answer

    return OAuthClient(
        provider=provider,
        endpoints=provider.endpoints("https://oauth.test", "https://api.test"),
        client=ClientAuth("client-1", "s3cret"),
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        clock=lambda: 0.0,
    )


def exchange(client: OAuthClient) -> object:
    return client.exchange_code(
        code="c", redirect_uri="http://127.0.0.1:1/cb", code_verifier="v", requested=[]
    )


def test_githubs_error_name_means_a_dead_code_only_through_its_hook() -> None:
    answer = httpx.Response(200, json={"error": "bad_verification_code"})
    with pytest.raises(CodeRejected) as raised:
        exchange(client_for(GITHUB, answer))
    assert raised.value.details["oauth_error"] == "bad_verification_code"
    # Control: without the mapping the same answer is just an unknown error, not a dead code.
    with pytest.raises(UpstreamError) as plain:
        exchange(client_for(PLAIN, answer))
    assert not isinstance(plain.value, CodeRejected)


def test_a_rotated_away_github_refresh_token_is_a_refresh_rejection() -> None:
    answer = httpx.Response(200, json={"error": "bad_refresh_token"})
    with pytest.raises(RefreshRejected, match="connect GitHub again"):
        client_for(GITHUB, answer).refresh("ghr_old", previous_scopes=["repo"])


def test_a_form_encoded_answer_is_read_only_through_githubs_hook() -> None:
    answer = httpx.Response(
        200,
        text="access_token=ghu_x&scope=repo",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert exchange(client_for(GITHUB, answer)).scopes == {"repo"}  # type: ignore[attr-defined]
    with pytest.raises(UpstreamError, match="unreadable"):
        exchange(client_for(PLAIN, answer))


def test_a_refresh_that_does_not_rotate_keeps_no_refresh_token_of_its_own() -> None:
    """authlib fills the old refresh token into its answer; Charter reads what the provider sent."""
    seen: list[httpx.Request] = []
    answer = httpx.Response(200, json={"access_token": "ya29.new", "expires_in": 3600})
    tokens = client_for(GITHUB, answer, seen).refresh("1//old", previous_scopes=["repo"])
    assert tokens.refresh_token is None
    assert dict(parse_qsl(seen[0].content.decode()))["refresh_token"] == "1//old"


def test_notions_token_request_is_json_with_basic_credentials_and_no_secret_in_the_body() -> None:
    seen: list[httpx.Request] = []
    exchange(client_for(NOTION, httpx.Response(200, json={"access_token": "secret_x"}), seen))
    request = seen[0]
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"].startswith("Basic ")
    assert b"s3cret" not in request.content
    assert b'"grant_type":"authorization_code"' in request.content.replace(b" ", b"")

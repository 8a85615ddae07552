"""Consent protocol logic against scripted answers: PKCE, state, token responses, device polling."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from charter.auth.consent import (
    CodeRejected,
    ConsentDenied,
    DeviceCodeExpired,
    OAuthClient,
    StateMismatch,
    TokenSet,
    authorization_url,
    complete,
    run_device_flow,
    s256_challenge,
)
from charter.auth.consent.pkce import make_verifier
from charter.auth.providers import GITHUB, ClientAuth
from charter.schemas import ConfigurationError

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler, now: float = 1000.0) -> OAuthClient:
    return OAuthClient(
        provider=GITHUB,
        endpoints=GITHUB.endpoints("https://github.test", "https://api.github.test"),
        client=ClientAuth("Iv1.test", "s3cret"),
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        clock=lambda: now,
    )


def form(request: httpx.Request) -> dict[str, str]:
    return dict(parse_qsl(request.content.decode()))


def test_s256_challenge_matches_the_rfc_7636_example() -> None:
    assert s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_verifier_is_long_and_uses_only_the_unreserved_alphabet() -> None:
    verifier = make_verifier()
    assert 43 <= len(verifier) <= 128
    assert re.fullmatch(r"[A-Za-z0-9\-._~]+", verifier)


def test_authorization_url_carries_pkce_state_and_scopes() -> None:
    request = authorization_url(
        client_for(lambda r: httpx.Response(500)),
        redirect_uri="http://127.0.0.1:5000/callback",
        scopes=["repo", "read:user"],
    )
    url = urlsplit(request.url)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert url.path == "/login/oauth/authorize"
    assert query["code_challenge"] == s256_challenge(request.code_verifier)
    assert query["code_challenge_method"] == "S256"
    assert query["state"] == request.state
    assert set(query["scope"].split()) == {"repo", "read:user"}
    assert request.code_verifier not in repr(request)
    url_, state, verifier = request
    assert (url_, state, verifier) == (request.url, request.state, request.code_verifier)


def test_a_callback_with_the_wrong_state_is_refused_before_any_exchange() -> None:
    calls: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500)

    client = client_for(record)
    with pytest.raises(StateMismatch, match="start the connection again"):
        complete(client, "http://127.0.0.1:1/callback?code=abc&state=forged", state="real", code_verifier="v")
    with pytest.raises(StateMismatch):
        complete(client, "http://127.0.0.1:1/callback?code=abc", state="real", code_verifier="v")
    assert calls == []


def test_a_declined_consent_is_a_typed_error() -> None:
    client = client_for(lambda r: httpx.Response(500))
    with pytest.raises(ConsentDenied) as caught:
        complete(client, "http://127.0.0.1:1/cb?error=access_denied&state=s", state="s", code_verifier="v")
    assert caught.value.code == "auth_required"


def test_code_exchange_sends_the_verifier_and_reads_a_form_encoded_answer() -> None:
    seen: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(form(request))
        body = (
            "access_token=ghu_x&token_type=bearer&scope=repo%2Cread%3Auser"
            "&expires_in=28800&refresh_token=ghr_y"
        )
        return httpx.Response(200, text=body, headers={"content-type": "application/x-www-form-urlencoded"})

    tokens = complete(
        client_for(handler),
        "http://127.0.0.1:4321/callback?code=abc&state=s",
        state="s",
        code_verifier="the-verifier",
        requested={"repo", "read:user", "gist"},
    )
    assert seen["code_verifier"] == "the-verifier"
    assert seen["redirect_uri"] == "http://127.0.0.1:4321/callback"
    assert seen["client_secret"] == "s3cret"
    assert tokens.scopes == {"repo", "read:user"}
    assert tokens.expires_at == 1000.0 + 28800
    assert tokens.refresh_token == "ghr_y"


def test_an_error_sent_with_http_200_is_still_an_error() -> None:
    client = client_for(lambda r: httpx.Response(200, json={"error": "bad_verification_code"}))
    with pytest.raises(CodeRejected, match="PKCE verifier"):
        client.exchange_code(code="c", redirect_uri="http://127.0.0.1:1/cb", code_verifier="v", requested=[])
    client = client_for(lambda r: httpx.Response(200, json={"error": "incorrect_client_credentials"}))
    with pytest.raises(ConfigurationError, match="client id and secret"):
        client.exchange_code(code="c", redirect_uri="http://127.0.0.1:1/cb", code_verifier="v", requested=[])


@pytest.mark.parametrize(
    ("answer", "granted"),
    [({}, {"repo", "gist"}), ({"scope": ""}, set()), ({"scope": "gist"}, {"gist"})],
)
def test_granted_scopes_come_from_the_answer_and_default_to_the_request(
    answer: dict[str, str], granted: set[str]
) -> None:
    client = client_for(lambda r: httpx.Response(200, json={"access_token": "t", **answer}))
    tokens = client.exchange_code(
        code="c", redirect_uri="http://127.0.0.1:1/cb", code_verifier="v", requested={"repo", "gist"}
    )
    assert tokens.scopes == granted


def test_token_set_repr_hides_the_tokens() -> None:
    tokens = TokenSet(access_token="ghu_CANARY", refresh_token="ghr_CANARY", scopes=frozenset({"repo"}))
    assert "CANARY" not in repr(tokens) + str(tokens)


class DeviceScript:
    """A token endpoint answering device polls from a list, recording the waits between them."""

    def __init__(self, answers: list[dict[str, object]]) -> None:
        self.answers: Iterator[dict[str, object]] = iter(answers)
        self.sleeps: list[float] = []
        self.now = 0.0

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/login/device/code":
            return httpx.Response(
                200,
                json={
                    "device_code": "dc",
                    "user_code": "WDJB-MJHT",
                    "verification_uri": "https://github.test/login/device",
                    "expires_in": 60,
                    "interval": 1,
                },
            )
        assert form(request)["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
        return httpx.Response(200, json=next(self.answers))

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def run(self) -> tuple[TokenSet, list[tuple[str, str]]]:
        shown: list[tuple[str, str]] = []
        tokens = run_device_flow(
            client_for(self.handler),
            scopes=["repo"],
            show=lambda code, uri: shown.append((code, uri)),
            sleep=self.sleep,
            clock=lambda: self.now,
        )
        return tokens, shown


def test_device_flow_polls_until_approved_and_slows_down_when_told() -> None:
    script = DeviceScript(
        [
            {"error": "authorization_pending"},
            {"error": "slow_down"},
            {"error": "slow_down", "interval": 20},
            {"error": "authorization_pending"},
            {"access_token": "ghu_ok", "scope": "repo"},
        ]
    )
    tokens, shown = script.run()
    assert shown == [("WDJB-MJHT", "https://github.test/login/device")]
    assert script.sleeps == [1, 1, 6, 20, 20]
    assert tokens.access_token == "ghu_ok"


@pytest.mark.parametrize(
    ("answer", "error"),
    [({"error": "expired_token"}, DeviceCodeExpired), ({"error": "access_denied"}, ConsentDenied)],
)
def test_device_flow_ends_with_a_typed_error(answer: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error, match="again"):
        DeviceScript([{"error": "authorization_pending"}, answer]).run()


def test_device_flow_gives_up_when_the_code_lifetime_is_over() -> None:
    with pytest.raises(DeviceCodeExpired, match="WDJB-MJHT"):
        DeviceScript([{"error": "authorization_pending"}] * 100).run()

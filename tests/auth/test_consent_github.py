"""Consent flows end to end over real HTTP against the GitHub sandbox's OAuth server."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from charter.auth.consent import (
    CodeRejected,
    ConsentDenied,
    ConsentTimeout,
    DeviceCodeExpired,
    OAuthClient,
    StateMismatch,
    TokenSet,
    authorization_url,
    complete,
    run_device_flow,
    run_loopback_flow,
)
from charter.auth.providers import GITHUB, ClientAuth
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox


@pytest.fixture
def client(sb: GitHubSandbox) -> OAuthClient:
    return OAuthClient(
        provider=GITHUB,
        endpoints=GITHUB.endpoints(sb.url, sb.url),
        client=ClientAuth(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
    )


def browser(url: str) -> None:
    """The sandbox consents at once; following its redirect lands on the loopback listener."""
    httpx.get(url, follow_redirects=True)


def whoami(sb: GitHubSandbox, tokens: TokenSet) -> str:
    answer = httpx.get(f"{sb.url}/user", headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert answer.status_code == 200
    return str(answer.json()["login"])


def consent_redirect(url: str) -> str:
    """Where the sandbox's consent screen sends the browser, without going there."""
    answer = httpx.get(url)
    assert answer.status_code == 302
    return answer.headers["location"]


def test_loopback_flow_returns_working_tokens_with_the_granted_scopes(
    sb: GitHubSandbox, client: OAuthClient
) -> None:
    tokens = run_loopback_flow(client, scopes=["repo", "read:user"], open_browser=browser, timeout=5)
    assert tokens.scopes == {"repo", "read:user"}
    assert tokens.refresh_token
    assert tokens.expires_at is not None
    assert whoami(sb, tokens) == "mona"
    authorize = sb.requests.last("GET", "/login/oauth/authorize")
    assert authorize is not None
    assert "code_challenge_method=S256" in authorize.query


def test_fewer_scopes_granted_than_requested_are_what_the_tokens_carry(
    sb: GitHubSandbox, client: OAuthClient
) -> None:
    sb.oauth.grant_only({"read:user"})
    tokens = run_loopback_flow(client, scopes=["repo", "read:user"], open_browser=browser, timeout=5)
    assert tokens.scopes == {"read:user"}


def test_declined_consent_raises_consent_denied(sb: GitHubSandbox, client: OAuthClient) -> None:
    sb.oauth.deny_consent()
    with pytest.raises(ConsentDenied, match="approve"):
        run_loopback_flow(client, scopes=["repo"], open_browser=browser, timeout=5)


def test_a_redirect_with_a_forged_state_is_refused_and_no_code_is_exchanged(
    sb: GitHubSandbox, client: OAuthClient
) -> None:
    def forging_browser(url: str) -> None:
        parts = urlsplit(consent_redirect(url))
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": "attacker"}
        httpx.get(urlunsplit(parts._replace(query=urlencode(query))))

    with pytest.raises(StateMismatch):
        run_loopback_flow(client, scopes=["repo"], open_browser=forging_browser, timeout=5)
    assert sb.requests.count("POST", "/login/oauth/access_token") == 0


def test_no_answer_within_the_timeout_raises_consent_timeout(client: OAuthClient) -> None:
    with pytest.raises(ConsentTimeout, match="connect again"):
        run_loopback_flow(client, scopes=["repo"], open_browser=lambda url: None, timeout=0.05)


def test_web_redirect_helpers_complete_a_server_side_flow(sb: GitHubSandbox, client: OAuthClient) -> None:
    url, state, verifier = authorization_url(client, redirect_uri="http://127.0.0.1:9/cb", scopes=["repo"])
    tokens = complete(client, consent_redirect(url), state=state, code_verifier=verifier)
    assert tokens.scopes == {"repo"}
    assert whoami(sb, tokens) == "mona"


def test_a_code_exchanged_with_the_wrong_pkce_verifier_is_refused(client: OAuthClient) -> None:
    url, state, _ = authorization_url(client, redirect_uri="http://127.0.0.1:9/cb", scopes=["repo"])
    with pytest.raises(CodeRejected, match="PKCE verifier"):
        complete(client, consent_redirect(url), state=state, code_verifier="x" * 64)


class SandboxTime:
    """Device-flow waits that move the sandbox's clock instead of sleeping."""

    def __init__(self, sb: GitHubSandbox) -> None:
        self.sb = sb
        self.waits: list[float] = []
        self.short_wait_once = False

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sb.clock.advance(1 if self.short_wait_once else seconds)
        self.short_wait_once = False


def test_device_flow_polls_until_the_person_approves(sb: GitHubSandbox, client: OAuthClient) -> None:
    time = SandboxTime(sb)
    shown: list[str] = []

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        if len(time.waits) == 3:
            sb.oauth.approve_device(shown[0])

    tokens = run_device_flow(
        client,
        scopes=["repo"],
        show=lambda code, uri: shown.append(code),
        sleep=sleep,
        clock=sb.clock.now,
    )
    assert whoami(sb, tokens) == "mona"
    assert tokens.scopes == {"repo"}
    assert time.waits == [5, 5, 5]


def test_device_flow_slows_down_when_the_server_says_so(sb: GitHubSandbox, client: OAuthClient) -> None:
    time = SandboxTime(sb)
    shown: list[str] = []

    def sleep(seconds: float) -> None:
        time.short_wait_once = len(time.waits) == 1
        time.sleep(seconds)
        if len(time.waits) == 4:
            sb.oauth.approve_device(shown[0])

    run_device_flow(
        client, scopes=["repo"], show=lambda c, u: shown.append(c), sleep=sleep, clock=sb.clock.now
    )
    assert time.waits == [5, 5, 10, 10]


def test_device_flow_reports_a_declined_code(sb: GitHubSandbox, client: OAuthClient) -> None:
    time = SandboxTime(sb)
    with pytest.raises(ConsentDenied):
        run_device_flow(
            client,
            scopes=["repo"],
            show=lambda code, uri: sb.oauth.deny_device(code),
            sleep=time.sleep,
            clock=sb.clock.now,
        )


def test_device_flow_reports_an_expired_code(sb: GitHubSandbox, client: OAuthClient) -> None:
    time = SandboxTime(sb)
    sb.oauth.device_expires_in = 12
    with pytest.raises(DeviceCodeExpired):
        run_device_flow(client, scopes=["repo"], show=lambda c, u: None, sleep=time.sleep, clock=sb.clock.now)

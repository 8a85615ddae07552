"""Clients pointed at the session's GitHub sandbox (tests/conftest.py starts it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from github import Auth, Github, GithubRetry

from charter.sandboxes.github import GitHubSandbox


@pytest.fixture
def token(sb: GitHubSandbox) -> str:
    return sb.oauth.issue_token("mona", ["repo", "read:user"]).access_token


MakeGithub = Callable[..., Github]


@pytest.fixture
def make_github(sb: GitHubSandbox) -> MakeGithub:
    """PyGithub configured as in CLIENT-RECIPES: no throttling, quick retries."""

    def make(access_token: str, retries: int = 3) -> Github:
        return Github(
            base_url=sb.url,
            auth=Auth.Token(access_token),
            retry=GithubRetry(total=retries, backoff_factor=0),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )

    return make


@pytest.fixture
def gh(make_github: MakeGithub, token: str) -> Github:
    return make_github(token)


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """A plain HTTP client with no credentials (one per session: building one costs an SSL context)."""
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def _api_client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


@pytest.fixture
def api(sb: GitHubSandbox, token: str, _api_client: httpx.Client) -> httpx.Client:
    """A client aimed at the sandbox with mona's token of this test, for checking wire details."""
    _api_client.base_url = httpx.URL(sb.url)
    _api_client.headers["Authorization"] = f"token {token}"
    return _api_client

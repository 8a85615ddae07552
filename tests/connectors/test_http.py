"""The connectors' one HTTP layer: status table, rate-limit headers, 401 → refresh, traffic counts."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest
from github_credentials import SandboxCredentials
from hypothesis import given
from hypothesis import strategies as st

from charter.connectors.http import (
    RefreshingAuth,
    TokenRejected,
    TrafficCount,
    error_for_status,
    rate_limit_exhausted,
    retry_after,
)
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import Conflict, NotFound, RateLimited, ScopeMissing, UpstreamError, ValidationError

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"retry-after": "0"}, 0.0),
        ({"Retry-After": formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"Retry-After": formatdate(NOW - 30, usegmt=True)}, 0.0),
        ({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 59)}, 60.0),
        ({"RateLimit": "limit=100, remaining=0, reset=7"}, 7.0),
        ({"RateLimit": '"default";r=0;t=9', "RateLimit-Policy": '"default";q=100;w=60'}, 9.0),
        ({"RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": "4"}, 4.0),
    ],
)
def test_every_rate_limit_convention_gives_the_wait(headers: dict[str, str], wait: float) -> None:
    assert retry_after(headers, now=NOW) == pytest.approx(wait, abs=1.0)
    assert rate_limit_exhausted(headers) or "retry-after" in {k.lower() for k in headers}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Retry-After": "soon"},
        {"Retry-After": "-5"},
        {"X-RateLimit-Remaining": "4", "X-RateLimit-Reset": str(int(NOW) + 59)},
        {"RateLimit": "limit=100, remaining=3, reset=7"},
    ],
)
def test_headers_that_ask_no_wait_give_none(headers: dict[str, str]) -> None:
    assert retry_after(headers, now=NOW) is None


@given(st.dictionaries(st.sampled_from(["retry-after", "ratelimit", "x-ratelimit-reset"]), st.text()))
def test_any_header_text_gives_a_wait_of_at_least_zero_or_none(headers: dict[str, str]) -> None:
    wait = retry_after(headers, now=NOW)
    assert wait is None or wait >= 0


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, TokenRejected),
        (403, ScopeMissing),
        (404, NotFound),
        (409, Conflict),
        (412, Conflict),
        (429, RateLimited),
        (500, UpstreamError),
        (503, UpstreamError),
        (400, ValidationError),
        (422, ValidationError),
    ],
)
def test_the_default_table_maps_each_status(status: int, expected: type[Exception]) -> None:
    assert type(error_for_status(status, "Service", "the thing")) is expected


def test_a_503_that_says_when_to_return_is_a_rate_limit() -> None:
    error = error_for_status(503, "Microsoft Graph", "the thing", headers={"Retry-After": "3"})
    assert isinstance(error, RateLimited)
    assert error.details["retry_after"] == 3


@pytest.fixture
def sandbox(github_sandbox: GitHubSandbox) -> GitHubSandbox:
    github_sandbox.reset()
    return github_sandbox


class Recording(SandboxCredentials):
    """Sandbox credentials that note which token each refresh was told was rejected."""

    rejected: list[str]

    def refresh(self, rejected: str) -> str:
        self.rejected = [*getattr(self, "rejected", []), rejected]
        return super().refresh(rejected)


def test_a_401_refreshes_with_the_rejected_token_and_is_sent_once_more(sandbox: GitHubSandbox) -> None:
    credentials = Recording(sandbox)
    stale = credentials.access_token()
    sandbox.faults.expire_access_tokens()
    with httpx.Client(base_url=sandbox.url, auth=RefreshingAuth(credentials)) as http:
        answer = http.get("/user")
    assert answer.status_code == 200
    assert credentials.rejected == [stale]
    assert [e.status for e in sandbox.requests.find("GET", "/user")] == [401, 200]


def test_without_the_auth_the_same_request_is_refused(sandbox: GitHubSandbox) -> None:
    """Control: the expired token really is rejected, so the test above saw a refresh, not luck."""
    credentials = Recording(sandbox)
    sandbox.faults.expire_access_tokens()
    answer = httpx.get(
        f"{sandbox.url}/user", headers={"Authorization": f"Bearer {credentials.access_token()}"}
    )
    assert answer.status_code == 401


def test_a_second_401_is_answered_not_looped(sandbox: GitHubSandbox) -> None:
    class Useless(Recording):
        def refresh(self, rejected: str) -> str:
            super().refresh(rejected)
            return "gho_not_a_token"

    credentials = Useless(sandbox)
    with httpx.Client(base_url=sandbox.url, auth=RefreshingAuth(credentials)) as http:
        sandbox.faults.expire_access_tokens()
        answer = http.get("/user")
    assert answer.status_code == 401
    assert sandbox.requests.count("GET", "/user") == 2
    assert "gho_" not in repr(RefreshingAuth(credentials))


def test_traffic_counts_requests_and_bytes(sandbox: GitHubSandbox) -> None:
    traffic = TrafficCount()
    credentials = SandboxCredentials(sandbox)
    with traffic.attach(httpx.Client(base_url=sandbox.url, auth=RefreshingAuth(credentials))) as http:
        sent = http.post("/repos/acme/web/issues", json={"title": "counted"})
        http.get("/user")
    assert traffic.requests == 2
    assert traffic.sent_bytes == len(sent.request.content)
    assert traffic.received_bytes >= len(sent.content) > 0

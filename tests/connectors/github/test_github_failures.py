"""Tokens, scopes, rate limits and GitHub failures, as a caller of the GitHub connector sees them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from github import GithubException
from pydantic import BaseModel

from charter.connectors.base import TokenRejected
from charter.connectors.github import (
    CreateIssue,
    GetIssue,
    GitHubConnector,
    ListIssues,
    ListRepos,
    SearchIssues,
)
from charter.connectors.github.client import error_for, retry_after
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import (
    AuthRequired,
    CharterError,
    Conflict,
    NotFound,
    RateLimited,
    ScopeMissing,
    UpstreamError,
    ValidationError,
)

# The conftest's `connect` fixture: keyword arguments go to SandboxCredentials.
Connect = Callable[..., GitHubConnector]
ISSUE = GetIssue(repo="acme/web", number=5)


def test_an_expired_token_is_refreshed_once_and_the_read_succeeds(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    sandbox.faults.expire_access_tokens()
    assert github.read(ISSUE).number == 5
    assert github.credentials.refreshes == 1  # type: ignore[attr-defined]
    statuses = [e.status for e in sandbox.requests.find("GET", "/repos/acme/web/issues/5")]
    assert statuses == [401, 200]


def test_an_expired_token_during_a_write_refreshes_and_commits_once(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    sandbox.faults.expire_access_tokens()
    github.write(CreateIssue(repo="acme/web", title="After refresh"))
    assert [i.title for i in sandbox.state.repos["acme/web"].issues.values()].count("After refresh") == 1


def test_a_revoked_connection_needs_the_person_to_connect_again(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    sandbox.faults.revoke_tokens()
    with pytest.raises(AuthRequired) as caught:
        github.read(ISSUE)
    assert caught.value.code == "auth_required"
    assert github.credentials.refreshes == 1  # type: ignore[attr-defined]


def test_a_missing_scope_is_refused_before_any_request(sandbox: GitHubSandbox, connect: Connect) -> None:
    github = connect(scopes=("read:user",))
    with pytest.raises(ScopeMissing, match="repo") as caught:
        github.read(ISSUE)
    assert caught.value.details["missing"] == ["repo"]
    assert len(sandbox.requests) == 0


@pytest.mark.parametrize(
    "request_",
    [
        ISSUE,
        ListIssues(repo="acme/web"),
        ListRepos(),
        SearchIssues(repo="acme/web", query="repo:acme/web bug"),
    ],
    ids=["get", "list", "list-repos", "search"],
)
def test_a_token_without_repo_is_caught_from_githubs_answer(
    sandbox: GitHubSandbox, connect: Connect, request_: BaseModel
) -> None:
    # The connection claims `repo`, but the token GitHub sees lacks it: private repositories are hidden.
    github = connect(scopes=("read:user",), claimed=("repo",))
    with pytest.raises(ScopeMissing, match="repo"):
        github.read(request_)
    assert len(sandbox.requests) >= 1


@pytest.mark.parametrize("status", [429, 403])
def test_a_rate_limit_is_waited_out_as_retry_after_says(
    sandbox: GitHubSandbox, github: GitHubConnector, status: int
) -> None:
    sandbox.faults.rate_limit_next(1, retry_after=7, status=status)
    start = sandbox.clock.now()
    assert github.read(ISSUE).number == 5
    assert sandbox.clock.now() - start >= 7
    assert sandbox.faults.early_retries == []
    assert len(sandbox.faults.honoured_waits) == 1


def test_a_rate_limited_write_is_sent_again_only_after_the_wait(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    sandbox.faults.rate_limit_next(1, retry_after=3, method="POST")
    github.write(CreateIssue(repo="acme/web", title="Patient"))
    assert sandbox.faults.early_retries == []
    assert [i.title for i in sandbox.state.repos["acme/web"].issues.values()].count("Patient") == 1


def test_a_wait_longer_than_the_connector_accepts_is_handed_to_the_caller(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    sandbox.faults.rate_limit_next(1, retry_after=600)
    with pytest.raises(RateLimited) as caught:
        github.read(ISSUE)
    assert caught.value.details["retry_after"] == 600
    assert caught.value.retryable


def test_a_passing_server_error_on_a_read_is_retried(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    sandbox.faults.fail_next(2, status=502, method="GET")
    assert github.read(ISSUE).number == 5
    assert [e.status for e in sandbox.requests.find("GET")] == [502, 502, 200]


def test_a_dropped_read_is_retried(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    sandbox.faults.drop_next(1, when="before", method="GET")
    assert github.read(ISSUE).number == 5


def test_a_lasting_server_error_is_an_upstream_error(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    sandbox.faults.fail_next(10, status=503, method="GET")
    with pytest.raises(UpstreamError, match="try again"):
        github.read(ISSUE)


def test_no_error_message_carries_the_token(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    token = github.credentials.access_token()
    failures: list[CharterError] = []
    sandbox.faults.fail_next(10, status=500, method="GET")
    for run in (lambda: github.read(ISSUE), lambda: github.read(GetIssue(repo="acme/web", number=999))):
        try:
            run()
        except CharterError as exc:
            failures.append(exc)
        sandbox.faults.clear()
    sandbox.faults.revoke_tokens()
    with pytest.raises(AuthRequired) as revoked:
        github.read(ISSUE)
    failures.append(revoked.value)
    assert len(failures) == 3
    for exc in failures:
        assert token not in str(exc)
        assert token not in repr(exc)
        assert token not in str(exc.to_dict())
        assert exc.__cause__ is None
    assert token not in repr(github)
    assert token not in repr(github.api)


def github_error(
    status: int, body: dict[str, object], headers: dict[str, str] | None = None
) -> GithubException:
    return GithubException(status, body, headers or {})


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        (401, {"message": "Bad credentials"}, {}, TokenRejected),
        (
            404,
            {"message": "Not Found"},
            {"x-accepted-oauth-scopes": "repo", "x-oauth-scopes": ""},
            ScopeMissing,
        ),
        (
            404,
            {"message": "Not Found"},
            {"x-accepted-oauth-scopes": "repo", "x-oauth-scopes": "repo"},
            NotFound,
        ),
        (403, {"message": "Must have push access"}, {"x-oauth-scopes": "repo"}, ScopeMissing),
        (409, {"message": "Head branch was modified"}, {}, Conflict),
        (405, {"message": "Pull Request is not mergeable"}, {}, Conflict),
        (
            422,
            {"message": "Validation Failed", "errors": [{"field": "title", "code": "missing_field"}]},
            {},
            ValidationError,
        ),
        (429, {"message": "slow down"}, {"retry-after": "5"}, RateLimited),
        (403, {"message": "API rate limit exceeded for mona."}, {"x-ratelimit-remaining": "0"}, RateLimited),
        (502, {"message": "Server Error"}, {}, UpstreamError),
        (400, {"message": "Problems parsing JSON"}, {}, ValidationError),
    ],
)
def test_github_errors_map_to_charter_errors(
    status: int, body: dict[str, object], headers: dict[str, str], expected: type[Exception]
) -> None:
    error = error_for(github_error(status, body, headers), "repository acme/web", frozenset({"repo"}))
    assert isinstance(error, expected)


def test_a_validation_error_names_githubs_field_errors() -> None:
    body = {
        "message": "Validation Failed",
        "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}],
    }
    error = error_for(github_error(422, body), "repository acme/web", frozenset({"repo"}))
    assert isinstance(error, ValidationError)
    assert "title: missing_field" in error.message
    assert error.details["problems"] == [{"field": "title", "problem": "missing_field"}]


def test_retry_after_prefers_the_header_then_the_reset_time() -> None:
    assert retry_after({"retry-after": "12"}) == 12
    assert retry_after({"x-ratelimit-reset": "1060"}, now=1000) == 61
    assert retry_after({}) == 60

"""Fault injection seen from real clients: errors, rate limits with a checked wait, drops, latency, tokens."""

from __future__ import annotations

import time

import httpx
import pytest
import requests
from github import Github

from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox


def test_pygithub_retries_through_injected_5xx(sb: GitHubSandbox, gh: Github) -> None:
    sb.faults.fail_next(2, status=502, method="GET", path="/repos/acme/web")

    repo = gh.get_repo("acme/web")

    assert repo.full_name == "acme/web"
    outcomes = [e.outcome for e in sb.requests.find(path="/repos/acme/web")]
    assert outcomes == ["fault", "fault", "served"]
    assert sb.requests.count(status=502) == 2


def test_faults_hit_only_matching_requests(sb: GitHubSandbox, api: httpx.Client) -> None:
    sb.faults.fail_next(1, status=503, method="POST", path="/repos/*/issues")

    assert api.get("/repos/acme/web/issues").status_code == 200
    failed = api.post("/repos/acme/web/issues", json={"title": "t"})
    assert failed.status_code == 503
    assert failed.json()["message"] == "Service Unavailable"
    assert api.post("/repos/acme/web/issues", json={"title": "t"}).status_code == 201
    assert len(sb.state.issues("acme/web")) == 46


def test_rate_limit_answers_429_with_retry_after_and_githubs_headers(
    sb: GitHubSandbox, api: httpx.Client
) -> None:
    sb.faults.rate_limit_next(1, retry_after=2)

    answer = api.get("/user")

    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "2"
    assert answer.headers["x-ratelimit-remaining"] == "0"
    assert int(answer.headers["x-ratelimit-reset"]) >= int(sb.clock.now()) + 1
    assert "rate limit" in answer.json()["message"]


def test_a_client_that_comes_back_too_early_is_recorded(sb: GitHubSandbox, api: httpx.Client) -> None:
    sb.faults.rate_limit_next(1, retry_after=1)
    api.get("/user")

    api.get("/user")

    assert len(sb.faults.early_retries) == 1
    assert 0 < sb.faults.early_retries[0].seconds_early <= 1
    assert sb.faults.honoured_waits == []


def test_a_client_that_waits_out_retry_after_is_recorded_as_honouring_it(
    sb: GitHubSandbox, api: httpx.Client
) -> None:
    sb.faults.rate_limit_next(1, retry_after=1)
    api.get("/user")
    sb.clock.advance(1)

    assert api.get("/user").status_code == 200
    assert sb.faults.early_retries == []
    assert len(sb.faults.honoured_waits) == 1


def test_rate_limit_can_answer_403_as_github_does_for_secondary_limits(
    sb: GitHubSandbox, api: httpx.Client
) -> None:
    sb.faults.rate_limit_next(1, retry_after=1, status=403)

    assert api.get("/user").status_code == 403


def test_a_connection_dropped_before_processing_changes_nothing(sb: GitHubSandbox, token: str) -> None:
    sb.faults.drop_next(1, when="before", method="POST")

    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{sb.url}/repos/acme/web/issues",
            json={"title": "lost"},
            headers={"Authorization": f"token {token}"},
        )

    assert all(i.title != "lost" for i in sb.state.issues("acme/web"))
    last = sb.requests.last()
    assert last is not None
    assert (last.outcome, last.status) == ("dropped_before", None)


def test_a_connection_dropped_after_commit_loses_only_the_answer(sb: GitHubSandbox, token: str) -> None:
    sb.faults.drop_next(1, when="after", method="POST")

    with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        requests.post(
            f"{sb.url}/repos/acme/web/issues",
            json={"title": "committed"},
            headers={"Authorization": f"token {token}"},
        )

    assert [i.title for i in sb.state.issues("acme/web") if i.title == "committed"] == ["committed"]
    last = sb.requests.last()
    assert last is not None
    assert (last.outcome, last.status) == ("dropped_after", 201)


def test_latency_delays_matching_requests(sb: GitHubSandbox, api: httpx.Client) -> None:
    sb.faults.set_latency(0.05, path="/user")

    started = time.perf_counter()
    api.get("/user")
    slow = time.perf_counter() - started

    assert slow >= 0.05


def _refresh(http: httpx.Client, sb: GitHubSandbox, refresh_token: str | None) -> dict[str, str]:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token or ""}
    form |= {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET}
    answer: dict[str, str] = http.post(
        f"{sb.url}/login/oauth/access_token", data=form, headers={"Accept": "application/json"}
    ).json()
    return answer


def _status(http: httpx.Client, sb: GitHubSandbox, access_token: str) -> int:
    return http.get(f"{sb.url}/user", headers={"Authorization": f"token {access_token}"}).status_code


def test_expiring_all_access_tokens_leaves_refresh_working(sb: GitHubSandbox, http: httpx.Client) -> None:
    issued = sb.oauth.issue_token()

    sb.faults.expire_access_tokens()

    assert _status(http, sb, issued.access_token) == 401
    assert _status(http, sb, _refresh(http, sb, issued.refresh_token)["access_token"]) == 200


def test_revoked_tokens_cannot_be_used_or_refreshed(sb: GitHubSandbox, http: httpx.Client) -> None:
    issued = sb.oauth.issue_token()

    sb.faults.revoke_tokens()

    assert _status(http, sb, issued.access_token) == 401
    assert _refresh(http, sb, issued.refresh_token)["error"] == "bad_refresh_token"


def test_expired_refresh_tokens_are_refused(sb: GitHubSandbox, http: httpx.Client) -> None:
    issued = sb.oauth.issue_token()

    sb.faults.expire_refresh_tokens()

    assert _status(http, sb, issued.access_token) == 200
    assert _refresh(http, sb, issued.refresh_token)["error"] == "bad_refresh_token"


def test_faults_can_be_armed_and_inspected_over_http(
    sb: GitHubSandbox, http: httpx.Client, token: str
) -> None:
    armed = http.post(
        f"{sb.url}/_sandbox/faults", json={"kind": "fail", "times": 1, "status": 500, "path": "/user"}
    )
    assert armed.json()["armed"][0]["status"] == 500

    answer = http.get(f"{sb.url}/user", headers={"Authorization": f"token {token}"})

    assert answer.status_code == 500
    assert http.get(f"{sb.url}/_sandbox/faults").json()["armed"] == []
    bad = http.post(f"{sb.url}/_sandbox/faults", json={"kind": "meteor"})
    assert bad.status_code == 400


def test_token_faults_work_over_http(sb: GitHubSandbox, http: httpx.Client, token: str) -> None:
    http.post(f"{sb.url}/_sandbox/faults", json={"kind": "expire_access_tokens"})

    assert _status(http, sb, token) == 401


def test_the_control_api_shows_state_and_requests_and_resets(
    sb: GitHubSandbox, http: httpx.Client, token: str
) -> None:
    http.post(
        f"{sb.url}/repos/acme/web/issues/1/comments",
        json={"body": "seen"},
        headers={"Authorization": f"token {token}"},
    )

    state = http.get(f"{sb.url}/_sandbox/state").json()
    log = http.get(f"{sb.url}/_sandbox/requests").json()

    issue_one = state["repos"]["acme/web"]["issues"][0]
    assert issue_one["comments"][-1]["body"] == "seen"
    assert [(e["method"], e["status"]) for e in log] == [("POST", 201)]
    assert http.post(f"{sb.url}/_sandbox/reset").status_code == 204
    assert sb.state.comments("acme/web", 1)[-1].body != "seen"
    assert len(sb.requests) == 0


def test_the_clock_moves_forward_over_http(sb: GitHubSandbox, http: httpx.Client) -> None:
    before = sb.clock.now()

    http.post(f"{sb.url}/_sandbox/clock/advance", json={"seconds": 3600})

    assert sb.clock.now() - before >= 3600

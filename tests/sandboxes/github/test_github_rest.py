"""The GitHub sandbox's REST wire format: pagination, ETags, auth and scope answers, headers, errors."""

from __future__ import annotations

import httpx
import pytest
from github import Github, GithubException

from charter.sandboxes.github import GitHubSandbox


def test_pygithub_follows_link_headers_to_the_last_page_without_repeats(
    sb: GitHubSandbox, gh: Github
) -> None:
    issues = list(gh.get_repo("acme/web").get_issues(state="all"))

    assert len(issues) == 48
    assert len({i.number for i in issues}) == 48
    assert sb.requests.count(method="GET", path="/repos/acme/web/issues") == 2


def test_link_header_names_next_last_prev_and_first(api: httpx.Client) -> None:
    first = api.get("/repos/acme/web/issues", params={"state": "all", "per_page": 10})
    middle = api.get("/repos/acme/web/issues", params={"state": "all", "per_page": 10, "page": 3})
    last = api.get("/repos/acme/web/issues", params={"state": "all", "per_page": 10, "page": 5})

    assert set(first.links) == {"next", "last"}
    assert first.links["last"]["url"].endswith("page=5")
    assert set(middle.links) == {"prev", "next", "last", "first"}
    assert set(last.links) == {"prev", "first"}
    assert len(last.json()) == 8
    assert "127.0.0.1" in first.links["next"]["url"]


def test_per_page_is_capped_at_one_hundred_and_defaults_to_thirty(api: httpx.Client) -> None:
    assert len(api.get("/repos/acme/web/issues", params={"state": "all"}).json()) == 30
    assert len(api.get("/repos/acme/web/issues", params={"state": "all", "per_page": 500}).json()) == 48


def test_pull_requests_appear_in_issue_lists_with_a_pull_request_key(api: httpx.Client) -> None:
    items = api.get("/repos/acme/web/issues", params={"state": "all", "per_page": 100}).json()

    pulls = sorted(i["number"] for i in items if "pull_request" in i)
    assert pulls == [46, 47, 48]


def test_issue_filters_by_state_labels_and_since(api: httpx.Client) -> None:
    closed = api.get("/repos/acme/web/issues", params={"state": "closed", "per_page": 100}).json()
    both = api.get("/repos/acme/web/issues", params={"labels": "bug,triage", "state": "all"}).json()
    recent = api.get(
        "/repos/acme/web/issues", params={"since": "2025-02-01T00:00:00Z", "state": "all"}
    ).json()

    assert closed
    assert all(i["state"] == "closed" for i in closed)
    assert both
    assert all({"bug", "triage"} <= {lab["name"] for lab in i["labels"]} for i in both)
    assert recent
    assert all(i["updated_at"] >= "2025-02-01" for i in recent)


def test_a_matching_etag_gets_304_with_no_body_and_costs_no_rate_limit(api: httpx.Client) -> None:
    first = api.get("/repos/acme/web/issues/1")
    again = api.get("/repos/acme/web/issues/1", headers={"If-None-Match": first.headers["etag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["x-ratelimit-remaining"] == first.headers["x-ratelimit-remaining"]


def test_the_etag_changes_when_the_resource_changes(sb: GitHubSandbox, api: httpx.Client) -> None:
    before = api.get("/repos/acme/web/issues/2/comments").headers["etag"]
    api.post("/repos/acme/web/issues/2/comments", json={"body": "new"})

    after = api.get("/repos/acme/web/issues/2/comments", headers={"If-None-Match": before})

    assert after.status_code == 200
    assert after.headers["etag"] != before
    assert [c["body"] for c in after.json()] == ["new"]


def test_every_answer_carries_githubs_rate_limit_scope_and_request_id_headers(api: httpx.Client) -> None:
    answer = api.get("/repos/acme/web")

    for name in ("limit", "remaining", "reset", "used", "resource"):
        assert f"x-ratelimit-{name}" in answer.headers
    assert answer.headers["x-oauth-scopes"] == "read:user, repo"
    assert answer.headers["x-accepted-oauth-scopes"] == "repo"
    assert answer.headers["x-github-request-id"]
    assert int(answer.headers["x-ratelimit-used"]) == 1


def test_search_has_its_own_rate_limit_resource(api: httpx.Client) -> None:
    answer = api.get("/search/issues", params={"q": "repo:acme/web"})

    assert answer.headers["x-ratelimit-resource"] == "search"
    assert answer.headers["x-ratelimit-limit"] == "30"


def test_an_exhausted_rate_limit_is_refused_with_403_and_remaining_zero(
    sb: GitHubSandbox, api: httpx.Client
) -> None:
    sb.rate_limits.set_remaining("mona", 0)

    answer = api.get("/repos/acme/web")

    assert answer.status_code == 403
    assert answer.headers["x-ratelimit-remaining"] == "0"
    assert "rate limit" in answer.json()["message"]


def test_unknown_expired_or_revoked_tokens_get_bad_credentials(sb: GitHubSandbox, http: httpx.Client) -> None:
    expired = sb.oauth.issue_token("mona", ["repo"], expires_in=60).access_token
    revoked = sb.oauth.issue_token("mona", ["repo"]).access_token
    sb.tokens.revoke(revoked)
    sb.clock.advance(61)

    for value in ("ghu_unknown", expired, revoked):
        answer = http.get(f"{sb.url}/repos/acme/web", headers={"Authorization": f"Bearer {value}"})
        assert answer.status_code == 401
        assert answer.json() == {
            "message": "Bad credentials",
            "documentation_url": "https://docs.github.com/rest",
            "status": "401",
        }


def test_without_the_repo_scope_private_repos_answer_404_naming_the_needed_scope(
    sb: GitHubSandbox, http: httpx.Client
) -> None:
    weak = sb.oauth.issue_token("mona", ["read:user"]).access_token
    headers = {"Authorization": f"token {weak}"}

    repo = http.get(f"{sb.url}/repos/acme/web/issues", headers=headers)
    me = http.get(f"{sb.url}/user", headers=headers)
    mine = http.get(f"{sb.url}/user/repos", headers=headers)

    assert repo.status_code == 404
    assert repo.headers["x-accepted-oauth-scopes"] == "repo"
    assert repo.headers["x-oauth-scopes"] == "read:user"
    assert me.status_code == 200
    assert mine.json() == []


def test_anonymous_callers_see_no_private_repository(sb: GitHubSandbox, http: httpx.Client) -> None:
    assert http.get(f"{sb.url}/repos/acme/web").status_code == 404
    assert http.get(f"{sb.url}/user").json()["message"] == "Requires authentication"


def test_people_without_access_get_404(sb: GitHubSandbox, http: httpx.Client) -> None:
    hubot = sb.oauth.issue_token("hubot", ["repo"]).access_token

    answer = http.get(f"{sb.url}/repos/acme/api", headers={"Authorization": f"token {hubot}"})

    assert answer.status_code == 404


def test_validation_errors_use_githubs_422_shape(api: httpx.Client) -> None:
    answer = api.post("/repos/acme/web/issues", json={"body": "no title"})

    assert answer.status_code == 422
    assert answer.json()["message"] == "Validation Failed"
    assert answer.json()["errors"] == [{"resource": "Issue", "field": "title", "code": "missing_field"}]
    assert answer.json()["documentation_url"].startswith("https://docs.github.com/")


def test_unparseable_json_is_a_400(api: httpx.Client) -> None:
    answer = api.post(
        "/repos/acme/web/issues", content=b"{nope", headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 400
    assert answer.json()["message"] == "Problems parsing JSON"


def test_closing_and_reopening_an_issue_sets_state_reason_and_closed_at(
    sb: GitHubSandbox, gh: Github
) -> None:
    issue = gh.get_repo("acme/web").get_issue(2)

    issue.edit(state="closed", state_reason="not_planned")
    closed = sb.state.issue("acme/web", 2)
    assert (closed.state, closed.state_reason, closed.closed_by) == ("closed", "not_planned", "mona")
    assert closed.closed_at is not None

    issue.edit(state="open")
    assert (closed.state, closed.state_reason, closed.closed_at) == ("open", "reopened", None)


def test_new_labels_named_on_an_issue_are_created(sb: GitHubSandbox, gh: Github) -> None:
    gh.get_repo("acme/web").create_issue("Labelled", labels=["bug", "needs-design"])

    assert "needs-design" in sb.state.repo("acme/web").labels


def test_a_file_update_needs_the_current_sha(sb: GitHubSandbox, gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    current = repo.get_contents("README.md")
    assert not isinstance(current, list)

    with pytest.raises(GithubException) as refused:
        repo.update_file("README.md", "Edit", "new text", "0" * 40)
    assert refused.value.status == 409
    repo.update_file("README.md", "Edit", "new text", current.sha)

    assert sb.state.file("acme/web", "README.md") == "new text"
    assert sb.state.head_commit("acme/web", "main").message == "Edit"


def test_creating_a_file_that_exists_without_sha_is_422(api: httpx.Client) -> None:
    answer = api.put("/repos/acme/web/contents/README.md", json={"message": "m", "content": "aGk="})

    assert answer.status_code == 422
    assert "sha" in answer.json()["message"]


def test_changing_a_workflow_takes_the_workflow_scope_and_is_a_404_without_it(
    sb: GitHubSandbox, http: httpx.Client
) -> None:
    change = {"message": "ci", "content": "bmFtZTogY2k="}
    path = f"{sb.url}/repos/acme/web/contents/.github/workflows/ci.yml"
    for scopes, status in ((["repo"], 404), (["repo", "workflow"], 201)):
        token = sb.oauth.issue_token("mona", scopes).access_token
        answer = http.put(path, json=change, headers={"Authorization": f"token {token}"})
        assert answer.status_code == status
    assert sb.state.file("acme/web", ".github/workflows/ci.yml") == "name: ci"


def test_creating_an_existing_branch_is_refused(sb: GitHubSandbox, gh: Github) -> None:
    repo = gh.get_repo("acme/web")
    sha = sb.state.branches("acme/web")["main"]

    with pytest.raises(GithubException) as refused:
        repo.create_git_ref("refs/heads/feature/login", sha)
    assert refused.value.status == 422
    assert refused.value.data["message"] == "Reference already exists"


def test_the_refs_route_lists_every_branch_a_prefix_matches(api: httpx.Client) -> None:
    exact = api.get("/repos/acme/web/git/refs/heads/main").json()
    prefix = api.get("/repos/acme/web/git/refs/heads/feature").json()

    assert exact["ref"] == "refs/heads/main"
    assert [r["ref"] for r in prefix] == ["refs/heads/feature/dark-mode", "refs/heads/feature/login"]


def test_a_draft_pull_request_cannot_be_merged_until_marked_ready(sb: GitHubSandbox, gh: Github) -> None:
    pull = gh.get_repo("acme/web").get_pull(47)

    with pytest.raises(GithubException) as refused:
        pull.merge()
    assert refused.value.status == 405
    pull.mark_ready_for_review()
    pull.merge()

    merged = sb.state.issue("acme/web", 47)
    assert merged.pull is not None
    assert merged.pull.merged
    assert sb.state.file("acme/web", "src/theme.css") is not None


def test_a_merged_or_closed_pull_request_is_not_mergeable(gh: Github) -> None:
    closed = gh.get_repo("acme/web").get_pull(48)

    with pytest.raises(GithubException) as refused:
        closed.merge()
    assert refused.value.status == 405
    assert refused.value.data["message"] == "Pull Request is not mergeable"


def test_opening_a_pull_request_twice_or_with_no_commits_is_refused(api: httpx.Client) -> None:
    same = api.post("/repos/acme/web/pulls", json={"title": "t", "head": "feature/login", "base": "main"})
    empty = api.post("/repos/acme/web/pulls", json={"title": "t", "head": "main", "base": "main"})
    missing = api.post("/repos/acme/web/pulls", json={"title": "t", "head": "nope", "base": "main"})

    assert same.status_code == empty.status_code == missing.status_code == 422
    assert "already exists" in same.json()["errors"][0]["message"]
    assert "No commits between" in empty.json()["errors"][0]["message"]
    assert missing.json()["errors"][0]["field"] == "head"


def test_graphql_answers_anything_but_the_ready_mutation_with_an_error(api: httpx.Client) -> None:
    answer = api.post("/graphql", json={"query": "query { viewer { login } }"})

    assert answer.status_code == 200
    assert answer.json()["errors"][0]["message"].startswith("The sandbox's GraphQL API supports only")


def test_graphql_reports_an_unknown_node_as_not_found(gh: Github, api: httpx.Client) -> None:
    query = "mutation M($input: MarkPullRequestReadyForReviewInput!) { markPullRequestReadyForReview(input: $input) { clientMutationId } }"  # noqa: E501

    answer = api.post("/graphql", json={"query": query, "variables": {"input": {"pullRequestId": "nope"}}})

    assert answer.json()["errors"][0]["type"] == "NOT_FOUND"


def test_search_understands_githubs_qualifiers(sb: GitHubSandbox, api: httpx.Client) -> None:
    def numbers(q: str) -> set[int]:
        body = api.get("/search/issues", params={"q": q, "per_page": 100}).json()
        assert body["total_count"] == len(body["items"])
        assert body["incomplete_results"] is False
        return {i["number"] for i in body["items"]}

    assert numbers("repo:acme/web is:pr") == {46, 47, 48}
    assert numbers("repo:acme/web is:pr is:open draft:false") == {46}
    assert numbers("repo:acme/web is:pr draft:true") == {47}
    assert numbers("repo:acme/web is:pr is:closed") == {48}
    assert 46 not in numbers("repo:acme/web is:issue")
    first_issues = {i.number for i in sb.state.issues("acme/web", "open") if "good first issue" in i.labels}
    assert first_issues
    assert numbers('repo:acme/web label:"good first issue" is:open') == first_issues
    assert numbers("repo:acme/web author:hubot is:issue") == {n for n in range(1, 46) if n % 3 == 0}
    assert numbers("repo:acme/web Safari in:title") == {1, 16, 31}
    assert numbers("repo:acme/web reproduce") == {n for n in range(1, 46) if n % 4 == 1}
    assert numbers("repo:acme/api is:open") == {1, 2}


def test_search_without_q_is_a_validation_error(api: httpx.Client) -> None:
    answer = api.get("/search/issues")

    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"resource": "Search", "field": "q", "code": "missing"}]


def test_search_results_paginate_with_link_headers(api: httpx.Client) -> None:
    first = api.get("/search/issues", params={"q": "repo:acme/web", "per_page": 20})

    assert first.json()["total_count"] == 48
    assert len(first.json()["items"]) == 20
    assert first.links["last"]["url"].endswith("page=3")

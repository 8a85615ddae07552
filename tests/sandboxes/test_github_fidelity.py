"""Every GitHub sandbox endpoint, driven through PyGithub and httpx, answers as GitHub's description says."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import pytest
from github import Github, GithubException

from charter.sandboxes.fidelity import (
    GITHUB_NOT_IN_REST_DESCRIPTION,
    OpenAPISpec,
    load_github_spec,
    validate_exchanges,
)
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox


@pytest.fixture(scope="module")
def spec() -> OpenAPISpec:
    try:
        return load_github_spec()
    except FileNotFoundError as exc:
        pytest.fail(str(exc))


def _drive_reads(gh: Github) -> None:
    me = gh.get_user()
    assert me.login == "mona"
    assert {r.full_name for r in me.get_repos()} == {"acme/web", "acme/api", "mona/notes"}
    repo = gh.get_repo("acme/web")
    assert repo.private
    issues = repo.get_issues(state="all", sort="updated")
    assert issues.totalCount >= 45
    assert list(repo.get_issues(state="all", labels=["bug"], since=datetime(2025, 1, 20, tzinfo=UTC)))
    assert list(repo.get_issues(state="open", direction="asc"))
    issue = repo.get_issue(1)
    assert [c.body for c in issue.get_comments()]
    pulls = list(repo.get_pulls(state="all"))
    assert {p.number for p in pulls} == {46, 47, 48}
    assert repo.get_pull(46).mergeable
    assert b"acme/web" in repo.get_contents("README.md").decoded_content
    listing = repo.get_contents("")
    assert isinstance(listing, list)
    assert {c.path for c in listing} == {"README.md", "src"}
    assert repo.get_git_ref("heads/main").object.sha == repo.get_branch("main").commit.sha
    assert gh.search_issues("repo:acme/web is:issue label:bug").totalCount > 0


def _drive_writes(gh: Github, sb: GitHubSandbox) -> None:
    repo = gh.get_repo("acme/web")
    issue = repo.create_issue("Fidelity issue", body="Opened by the fidelity test.", labels=["bug"])
    issue.create_comment("A comment.")
    issue.edit(state="closed", state_reason="not_planned")
    main = repo.get_git_ref("heads/main")
    repo.create_git_ref("refs/heads/fidelity", main.object.sha)
    created = repo.create_file("docs/fidelity.md", "Add a page", "one\n", branch="fidelity")
    repo.update_file(
        "docs/fidelity.md", "Change the page", "two\n", created["content"].sha, branch="fidelity"
    )
    pull = repo.create_pull(title="Fidelity", body="Draft first.", head="fidelity", base="main", draft=True)
    with pytest.raises(GithubException) as draft_merge:
        pull.merge()
    assert draft_merge.value.status == 405
    pull.mark_ready_for_review()
    pull.edit(title="Fidelity, ready", body="Ready now.")
    with pytest.raises(GithubException) as moved:
        pull.merge(sha="0" * 40)
    assert moved.value.status == 409
    assert pull.merge(merge_method="merge").merged
    assert sb.state.file("acme/web", "docs/fidelity.md") == "two\n"


def _drive_errors(sb: GitHubSandbox, api: httpx.Client, http: httpx.Client) -> None:
    assert api.get("/repos/acme/nope").status_code == 404
    assert api.post("/repos/acme/web/issues", json={"body": "no title"}).status_code == 422
    assert api.patch("/repos/acme/web/issues/1", json={"state": "done"}).status_code == 422
    sha = sb.state.branches("acme/web")["main"]
    assert (
        api.post("/repos/acme/web/git/refs", json={"ref": "refs/heads/main", "sha": sha}).status_code == 422
    )
    assert http.get(f"{sb.url}/user", headers={"Authorization": "token ghu_nope"}).status_code == 401
    etag = api.get("/user").headers["etag"]
    assert api.get("/user", headers={"If-None-Match": etag}).status_code == 304


def _drive_revoke(sb: GitHubSandbox, http: httpx.Client) -> None:
    victim = sb.oauth.issue_token("mona", ["repo"]).access_token
    answer = http.request(
        "DELETE",
        f"{sb.url}/applications/{DEFAULT_CLIENT_ID}/token",
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        json={"access_token": victim},
    )
    assert answer.status_code == 204


def test_every_response_of_every_endpoint_matches_githubs_description(
    sb: GitHubSandbox, gh: Github, api: httpx.Client, http: httpx.Client, spec: OpenAPISpec
) -> None:
    _drive_reads(gh)
    _drive_writes(gh, sb)
    _drive_errors(sb, api, http)
    _drive_revoke(sb, http)
    served = {(e.method, e.path.split("/")[1]) for e in sb.requests.entries}
    assert ("DELETE", "applications") in served
    assert sb.requests.count(method="POST", path="/graphql") == 1

    problems = validate_exchanges(spec, sb.requests.entries)

    assert problems == []


def test_the_validator_reports_a_response_that_breaks_the_description(spec: OpenAPISpec) -> None:
    label = b'{"id": "seven", "node_id": "L", "url": "u", "name": "bug", "color": "f00", "default": false}'

    problems = spec.validate("GET", "/repos/acme/web/labels/bug", 200, label)

    assert sorted(problems) == [
        "at $.id: 'seven' is not of type 'integer'",
        "at $: 'description' is a required property",
    ]


def test_nullable_fields_accept_null_and_their_declared_type(spec: OpenAPISpec) -> None:
    base = b'{"id": 7, "node_id": "L", "url": "u", "name": "bug", "color": "f00", "default": false, '

    assert spec.validate("GET", "/repos/acme/web/labels/bug", 200, base + b'"description": null}') == []
    assert spec.validate("GET", "/repos/acme/web/labels/bug", 200, base + b'"description": "x"}') == []
    assert spec.validate("GET", "/repos/acme/web/labels/bug", 200, base + b'"description": 3}') != []


def test_the_validator_reports_an_undocumented_path_and_status(spec: OpenAPISpec) -> None:
    assert spec.validate("GET", "/no/such/endpoint", 200, b"{}") == [
        "no operation GET /no/such/endpoint in the description"
    ]
    assert "not documented" in spec.validate("GET", "/user", 418, b"{}")[0]


def test_oauth_and_graphql_exchanges_are_left_out_of_the_rest_check() -> None:
    assert "/login/*" in GITHUB_NOT_IN_REST_DESCRIPTION
    assert "/graphql" in GITHUB_NOT_IN_REST_DESCRIPTION


def test_a_missing_description_fails_with_a_message_saying_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHARTER_OPENAPI_GITHUB", "/nonexistent/api.github.com.json")

    with pytest.raises(FileNotFoundError, match="make specs"):
        load_github_spec()


def test_file_contents_round_trip_as_base64(sb: GitHubSandbox, api: httpx.Client) -> None:
    answer = api.get("/repos/acme/web/contents/src/app.py", params={"ref": "main"}).json()

    assert base64.b64decode(answer["content"]).decode() == sb.state.file("acme/web", "src/app.py")

"""Reads through PyGithub against the sandbox: results, pagination, conditional requests, refusals."""

from __future__ import annotations

import pytest

from charter.connectors.base import validate_request
from charter.connectors.github import (
    FileContent,
    GetFile,
    GetIssue,
    GetPullRequest,
    GetRepo,
    GitHubConnector,
    ListComments,
    ListIssues,
    ListPullRequests,
    ListRepos,
    SearchIssues,
)
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import NotFound, Page, ValidationError


def add_file(sandbox: GitHubSandbox, path: str, content: bytes) -> None:
    repo = sandbox.state.repos["acme/web"]
    repo.git.commit("main", {path: content}, "add a file", ("mona", "mona@acme.example"), sandbox.state.now())


def test_list_repos_returns_the_private_repositories_mona_can_see(github: GitHubConnector) -> None:
    page = github.read(ListRepos())
    assert [r.full_name for r in page.items] == ["acme/api", "acme/web", "mona/notes"]
    assert all(r.private and r.provenance.connector == "github" for r in page.items)


def test_list_repos_by_affiliation_keeps_only_owned_ones(github: GitHubConnector) -> None:
    page = github.read(ListRepos(affiliation=["owner"]))
    assert [r.full_name for r in page.items] == ["mona/notes"]


def test_get_repo_reports_default_branch_and_provenance(github: GitHubConnector) -> None:
    repo = github.read(GetRepo(repo="acme/web"))
    assert repo.default_branch == "main"
    assert repo.provenance.url is not None
    assert repo.provenance.url.endswith("/acme/web")
    assert repo.provenance.author == "acme"


def test_list_issues_excludes_pull_requests_and_pages_to_the_end(github: GitHubConnector) -> None:
    issues = list(github.collect(ListIssues(repo="acme/web", state="all", per_page=10)))
    ids = [i.id for i in issues]
    assert len(ids) == len(set(ids)) == 45
    assert not any(i.is_pull_request for i in issues)
    assert {46, 47, 48}.isdisjoint(i.number for i in issues)


def test_list_issues_filters_by_state_and_every_label(github: GitHubConnector) -> None:
    issues = list(github.collect(ListIssues(repo="acme/web", labels=["bug", "triage"], per_page=100)))
    assert [i.number for i in issues] == [35, 5]
    assert all(i.state == "open" and {"bug", "triage"} <= set(i.labels) for i in issues)


def test_get_issue_carries_author_and_url(github: GitHubConnector) -> None:
    issue = github.read(GetIssue(repo="acme/web", number=5))
    assert issue.id == "acme/web#5"
    assert issue.provenance.author
    assert issue.provenance.url
    assert issue.provenance.url.endswith("/acme/web/issues/5")


def test_missing_issue_is_not_found_with_a_helpful_message(github: GitHubConnector) -> None:
    with pytest.raises(NotFound, match=r"issue acme/web#999 not found or not visible to this connection"):
        github.read(GetIssue(repo="acme/web", number=999))


def test_missing_repository_is_not_found(github: GitHubConnector) -> None:
    with pytest.raises(NotFound, match=r"repository acme/x not found or not visible to this connection"):
        github.read(GetRepo(repo="acme/x"))


def test_pull_requests_show_branches_and_draft_state(github: GitHubConnector) -> None:
    pulls = github.read(ListPullRequests(repo="acme/web", state="all"))
    by_number = {p.number: p for p in pulls.items}
    assert set(by_number) == {46, 47, 48}
    assert by_number[47].draft
    assert not by_number[46].draft
    assert by_number[46].head == "feature/login"
    assert by_number[46].base == "main"
    assert github.read(GetPullRequest(repo="acme/web", number=48)).state == "closed"


def test_list_comments_pages_through_a_conversation(github: GitHubConnector) -> None:
    pages = []
    request = ListComments(repo="acme/web", number=41, per_page=1)
    while True:
        page = github.read(request)
        pages.append(page)
        if page.next_cursor is None:
            break
        request = request.model_copy(update={"cursor": page.next_cursor})
    comments = [c for p in pages for c in p.items]
    assert len(pages) == 2
    assert len({c.id for c in comments}) == 2
    assert all(c.body and c.provenance.author for c in comments)


def test_get_file_decodes_text_and_reports_the_blob_sha(github: GitHubConnector) -> None:
    readme = github.read(GetFile(repo="acme/web", path="README.md"))
    assert isinstance(readme, FileContent)
    assert readme.text.startswith("# acme/web")
    assert len(readme.sha) == 40


def test_get_file_at_another_ref_sees_that_branch(github: GitHubConnector) -> None:
    login = github.read(GetFile(repo="acme/web", path="src/login.py", ref="feature/login"))
    assert login.ref == "feature/login"
    assert login.text
    with pytest.raises(NotFound):
        github.read(GetFile(repo="acme/web", path="src/login.py"))


@pytest.mark.parametrize(
    ("path", "content", "problem"),
    [
        ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("big.txt", b"a" * 1_000_001, "bytes"),
        ("latin.txt", "caf\xe9".encode("latin-1"), "binary"),
    ],
)
def test_get_file_refuses_binary_and_very_large_files(
    sandbox: GitHubSandbox, github: GitHubConnector, path: str, content: bytes, problem: str
) -> None:
    add_file(sandbox, path, content)
    with pytest.raises(ValidationError, match=problem):
        github.read(GetFile(repo="acme/web", path=path))


def test_get_file_refuses_a_directory(github: GitHubConnector) -> None:
    with pytest.raises(ValidationError, match="directory"):
        github.read(GetFile(repo="acme/web", path="src"))


def test_search_finds_issues_in_the_named_repository(github: GitHubConnector) -> None:
    page = github.read(SearchIssues(repo="acme/web", query="repo:acme/web is:issue label:triage is:open"))
    assert page.items
    assert all("triage" in i.labels and i.repo == "acme/web" for i in page.items)
    # The repository the request names is the one searched, whether the query repeats it or not.
    bare = github.read(SearchIssues(repo="acme/web", query="is:issue label:triage is:open"))
    assert [i.number for i in bare.items] == [i.number for i in page.items]


@pytest.mark.parametrize(
    "query",
    [
        "repo:acme/api label:bug",
        "repo:acme/web repo:acme/api",
        "repo:acme/web org:evil",
        'repo:acme/web user:"mona"',
    ],
)
def test_search_outside_the_requested_repository_is_refused_before_sending(
    sandbox: GitHubSandbox, github: GitHubConnector, query: str
) -> None:
    spec = GitHubConnector.spec("search_issues")
    with pytest.raises(ValidationError, match=r"repo:acme/web"):
        validate_request(spec, {"repo": "acme/web", "query": query})
    assert len(sandbox.requests) == 0


def test_repeat_read_is_a_conditional_request_answered_with_304(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    first = github.read(GetIssue(repo="acme/web", number=5))
    second = github.read(GetIssue(repo="acme/web", number=5))
    exchanges = sandbox.requests.find("GET", "/repos/acme/web/issues/5")
    assert [e.status for e in exchanges] == [200, 304]
    assert exchanges[1].request_headers.get("if-none-match") == exchanges[0].response_headers["etag"]
    assert second == first


def test_a_changed_resource_is_read_again_in_full(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    github.read(GetIssue(repo="acme/web", number=5))
    sandbox.state.repos["acme/web"].issues[5].title = "Renamed"
    assert github.read(GetIssue(repo="acme/web", number=5)).title == "Renamed"
    assert [e.status for e in sandbox.requests.find("GET", "/repos/acme/web/issues/5")] == [200, 200]


def test_repeat_listing_pages_are_conditional_too(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    first = list(github.collect(ListIssues(repo="acme/web", per_page=20)))
    second = list(github.collect(ListIssues(repo="acme/web", per_page=20)))
    statuses = [e.status for e in sandbox.requests.find("GET", "/repos/acme/web/issues")]
    assert first == second
    assert statuses == [200, 200, 304, 304]


def test_a_cursor_from_another_listing_is_refused(github: GitHubConnector) -> None:
    page = github.read(ListIssues(repo="acme/web", per_page=5))
    assert page.next_cursor is not None
    with pytest.raises(ValidationError, match="different listing"):
        github.read(ListIssues(repo="acme/api", per_page=5, cursor=page.next_cursor))
    with pytest.raises(ValidationError, match="not one this connector issued"):
        github.read(ListIssues(repo="acme/web", per_page=5, cursor="bm90LWEtY3Vyc29y"))


def test_pages_are_typed_pages(github: GitHubConnector) -> None:
    assert isinstance(github.read(ListIssues(repo="acme/web")), Page)

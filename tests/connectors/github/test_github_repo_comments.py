"""Comments across a whole repository: every issue's and pull request's, in pages of 100, since a time."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from charter.connectors.github import GetIssue, GitHubConnector, IssueComment, ListRepoComments
from charter.sandboxes.github import GitHubSandbox
from charter.sandboxes.github.state import Comment
from charter.schemas import ValidationError

WEB = "acme/web"


def _add_comments(sandbox: GitHubSandbox, count: int, at: str) -> list[int]:
    repo = sandbox.state.repos[WEB]
    numbers = sorted(repo.issues)
    added: list[int] = []
    with sandbox.lock:
        for i in range(count):
            number = numbers[i % len(numbers)]
            comment = Comment(sandbox.state.new_id("comment"), number, f"bulk comment {i}", "mona", at, at)
            repo.comments.append(comment)
            added.append(comment.id)
    return added


def _read_all(github: GitHubConnector, request: ListRepoComments) -> tuple[list[IssueComment], int]:
    comments: list[IssueComment] = []
    pages = 0
    while True:
        page = github.read(request)
        comments += page.items
        pages += 1
        if page.next_cursor is None:
            return comments, pages
        request = request.model_copy(update={"cursor": page.next_cursor})


def test_every_comment_of_the_repository_comes_once_in_pages_of_100(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    _add_comments(sandbox, 230, "2025-03-01T10:00:00Z")
    expected = {(c.issue_number, c.id) for c in sandbox.state.repos[WEB].comments}
    sandbox.requests.clear()
    comments, pages = _read_all(github, ListRepoComments(repo=WEB))
    assert pages == len(sandbox.requests.find("GET", "/repos/acme/web/issues/comments")) == 3
    assert len(comments) == len(expected)
    # Each comment is named under its own issue or pull request, which the listing gives only by URL.
    assert {(c.number, int(c.id.rsplit(":", 1)[1])) for c in comments} == expected
    assert all(c.id.startswith(f"{WEB}#{c.number}/comment:") for c in comments)
    created = [c.created_at for c in comments]
    assert created == sorted(created)


def test_since_keeps_only_comments_written_or_edited_from_then(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    old = _add_comments(sandbox, 3, "2025-01-01T00:00:00Z")
    new = _add_comments(sandbox, 4, "2025-06-01T12:00:00Z")
    edited = next(c for c in sandbox.state.repos[WEB].comments if c.id == old[0])
    edited.updated_at = "2025-06-02T00:00:00Z"
    since = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    comments, _ = _read_all(github, ListRepoComments(repo=WEB, since=since))
    ids = {int(c.id.rsplit(":", 1)[1]) for c in comments}
    assert set(new) | {old[0]} <= ids
    assert not ids & set(old[1:])
    # The control: without `since` the older ones are there.
    everything, _ = _read_all(github, ListRepoComments(repo=WEB))
    assert set(old) <= {int(c.id.rsplit(":", 1)[1]) for c in everything}


def test_a_time_without_a_zone_is_taken_as_utc(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    sandbox.requests.clear()
    github.read(ListRepoComments(repo=WEB, since=datetime(2025, 6, 1, 12, 0)))
    [request] = sandbox.requests.find("GET", "/repos/acme/web/issues/comments")
    assert parse_qs(request.query)["since"] == ["2025-06-01T12:00:00Z"]


def test_a_cursor_from_another_since_is_refused(sandbox: GitHubSandbox, github: GitHubConnector) -> None:
    _add_comments(sandbox, 120, "2025-03-01T10:00:00Z")
    first = github.read(ListRepoComments(repo=WEB))
    assert first.next_cursor is not None
    other = ListRepoComments(repo=WEB, since=datetime(2025, 1, 1, tzinfo=UTC), cursor=first.next_cursor)
    with pytest.raises(ValidationError):
        github.read(other)


def test_the_listing_route_leaves_single_issues_where_they_were(github: GitHubConnector) -> None:
    assert github.read(GetIssue(repo=WEB, number=41)).number == 41

"""A listing that repeats a cursor or never ends stops with an UpstreamError instead of looping."""

from __future__ import annotations

import pytest
from github_credentials import SandboxCredentials

from charter.connectors.github import GitHubConnector
from charter.connectors.github.models import ListIssues
from charter.connectors.paging import PageTrail
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import UpstreamError


@pytest.fixture
def sandbox(github_sandbox: GitHubSandbox) -> GitHubSandbox:
    github_sandbox.reset()
    return github_sandbox


def connect(sandbox: GitHubSandbox) -> GitHubConnector:
    return GitHubConnector(SandboxCredentials(sandbox), base_url=sandbox.url)


def test_a_trail_hands_back_new_cursors_and_ends_on_none() -> None:
    trail = PageTrail("GitHub", "repository acme/web")
    assert [trail.follow(c) for c in ("b", "c", 4, None, "")] == ["b", "c", 4, None, None]
    assert trail.pages == 4


def test_a_cursor_seen_before_is_an_upstream_error() -> None:
    trail = PageTrail("Notion", "the page's blocks")
    trail.follow("abc")
    trail.follow("abd")
    with pytest.raises(UpstreamError, match="same page cursor twice") as raised:
        trail.follow("abc")
    assert raised.value.details["pages"] == 3


def test_a_listing_past_its_page_limit_is_an_upstream_error() -> None:
    trail = PageTrail("Gmail", "your mailbox's history", limit=3)
    trail.follow("p2")
    trail.follow("p3")
    with pytest.raises(UpstreamError, match="within 3 pages"):
        trail.follow("p4")


def test_a_service_replaying_a_page_stops_the_listing(sandbox: GitHubSandbox) -> None:
    github = connect(sandbox)
    issues = github.collect(ListIssues(repo="acme/web", state="all", per_page=1))
    first = next(issues)
    # Page 2 is answered with page 1 again, so its Link header points at page 2 once more.
    sandbox.faults.replay_next(method="GET", path="/repos/acme/web/issues")
    with pytest.raises(UpstreamError, match="same page cursor twice"):
        list(issues)
    served = sandbox.requests.find("GET", "/repos/acme/web/issues")
    # The replayed page is the last one asked for: the listing stopped at once, not after retries.
    assert [e.outcome for e in served].count("fault") == 1
    assert served[-1].outcome == "fault"
    assert first.number


def test_without_the_replay_the_same_listing_reads_to_the_end(
    sandbox: GitHubSandbox,
) -> None:
    """Control: the listing the attack stops has more than two pages and finishes when nothing replays."""
    github = connect(sandbox)
    numbers = [i.number for i in github.collect(ListIssues(repo="acme/web", state="all", per_page=1))]
    assert len(numbers) > 2
    assert len(set(numbers)) == len(numbers)


def test_a_reset_forgets_the_page_a_replay_would_serve(sandbox: GitHubSandbox) -> None:
    """A page kept for `replay` before a reset is not served after it: the next one is served fresh."""
    github = connect(sandbox)
    next(github.collect(ListIssues(repo="acme/web", state="all", per_page=1)))
    sandbox.reset()
    sandbox.faults.replay_next(method="GET", path="/repos/acme/web/issues")
    next(connect(sandbox).collect(ListIssues(repo="acme/web", state="all", per_page=1)))
    assert [e.outcome for e in sandbox.requests.find("GET", "/repos/acme/web/issues")][:1] == ["served"]

"""Whom a GitHub write reaches: everyone who can read the repository, the public when it is public."""

from __future__ import annotations

from charter.connectors.base import validate_request
from charter.connectors.github import GitHubConnector
from charter.sandboxes.github import GitHubSandbox


def test_a_github_write_reaches_the_public_exactly_when_the_repository_is_public(
    sandbox: GitHubSandbox, github: GitHubConnector
) -> None:
    branch = {"repo": "acme/web", "branch": "wip"}
    spec = github.spec("create_branch")
    assert github.reach_for(spec, validate_request(spec, branch)) == "domain"
    with sandbox.lock:
        sandbox.state.repo("acme/web").private = False
    assert github.reach_for(spec, validate_request(spec, branch)) == "public"
    # A repository that cannot be read is weighed as public.
    gone = validate_request(spec, {"repo": "acme/gone", "branch": "wip"})
    assert github.reach_for(spec, gone) == "public"
    draft = github.spec("draft_pull_request")
    pull = {"repo": "acme/web", "title": "t", "head": "fix/typo", "base": "main"}
    assert github.reach_for(draft, validate_request(draft, pull)) == "person"

"""Argument validation, cursors and markers of the GitHub connector, without a network."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError as PydanticValidationError

from charter.connectors.base import Attribution, constrained_fields, validate_request
from charter.connectors.github import GitHubConnector, ListIssues, SearchIssues
from charter.connectors.github.cursors import encode_cursor, page_of
from charter.connectors.github.markers import carries, committed_body, marker, visible_body
from charter.schemas import ValidationError

OWNER = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}", fullmatch=True)
NAME = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}", fullmatch=True)


def args_for(action: str, **overrides: Any) -> dict[str, Any]:
    base: dict[str, dict[str, Any]] = {
        "get_issue": {"repo": "acme/web", "number": 1},
        "list_issues": {"repo": "acme/web"},
        "create_issue": {"repo": "acme/web", "title": "t"},
        "create_branch": {"repo": "acme/web", "branch": "fix/x"},
        "commit_file": {"repo": "acme/web", "branch": "main", "path": "a.txt", "content": "", "message": "m"},
        "merge_pull_request": {"repo": "acme/web", "number": 1},
    }
    return {**base[action], **overrides}


def check(action: str, **overrides: Any) -> None:
    validate_request(GitHubConnector.spec(action), args_for(action, **overrides))


@given(owner=OWNER, name=NAME)
def test_any_well_formed_repository_name_is_accepted(owner: str, name: str) -> None:
    if name not in (".", ".."):
        check("get_issue", repo=f"{owner}/{name}")


@pytest.mark.parametrize(
    "repo", ["acme", "acme/web/x", "-acme/web", "acme/", "/web", "acme/..", "ac me/web", ""]
)
def test_malformed_repository_names_are_refused(repo: str) -> None:
    with pytest.raises(ValidationError, match="repo"):
        check("get_issue", repo=repo)


@pytest.mark.parametrize(
    ("action", "overrides"),
    [
        ("get_issue", {"number": 0}),
        ("list_issues", {"per_page": 101}),
        ("list_issues", {"per_page": 0}),
        ("list_issues", {"state": "merged"}),
        ("create_issue", {"title": ""}),
        ("create_issue", {"title": "x" * 257}),
        ("create_issue", {"labels": ["x" * 51]}),
        ("create_issue", {"assignee": "mona"}),
        ("create_branch", {"branch": "bad..name"}),
        ("create_branch", {"branch": "has space"}),
        ("create_branch", {"branch": "ends.lock"}),
        ("commit_file", {"path": "/abs.txt"}),
        ("commit_file", {"path": "../escape.txt"}),
        ("commit_file", {"path": "dir/"}),
        ("merge_pull_request", {"merge_method": "fast-forward"}),
        ("merge_pull_request", {"expected_head_sha": "abc"}),
    ],
)
def test_arguments_outside_githubs_rules_are_refused(action: str, overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Nothing was sent"):
        check(action, **overrides)


def test_every_repository_field_is_constrainable_by_grants() -> None:
    for spec in GitHubConnector.actions.values():
        if "repo" in spec.request.model_fields:
            assert constrained_fields(spec.request) == {"repo": "repos"}, spec.name


def test_every_action_declares_repo_and_a_short_description() -> None:
    for spec in GitHubConnector.actions.values():
        assert spec.scopes == ("repo",), spec.name
        assert 10 < len(spec.description) <= 110, spec.name
    assert GitHubConnector.actions["merge_pull_request"].risks == frozenset({"destructive", "rewrites"})
    # A draft pull request is seen by everyone who reads the repository: drafts stay in Charter.
    drafts = [s for s in GitHubConnector.actions.values() if s.verb == "draft"]
    assert {(s.native, s.reach) for s in drafts} == {(False, "person")}


@given(page=st.integers(min_value=1, max_value=10_000), per_page=st.integers(min_value=1, max_value=100))
def test_a_cursor_returns_the_page_it_was_made_for(page: int, per_page: int) -> None:
    request = ListIssues(repo="acme/web", per_page=per_page)
    cursor = encode_cursor(request, page)
    assert page_of(request.model_copy(update={"cursor": cursor})) == page


@given(junk=st.text(max_size=60))
def test_a_forged_cursor_is_refused_not_crashed_on(junk: str) -> None:
    request = ListIssues(repo="acme/web", cursor=junk)
    try:
        page = page_of(request)
    except ValidationError:
        return
    assert page >= 1


@given(key=st.text(min_size=1, max_size=80))
def test_a_marker_is_one_well_formed_html_comment(key: str) -> None:
    text = marker(key)
    inner = text.removeprefix("<!--").removesuffix("-->")
    assert text.startswith("<!-- charter:write=")
    assert "--" not in inner.strip(" ")
    assert ">" not in inner
    assert carries(f"hello\n\n{text}", key)


def test_plain_keys_appear_verbatim_in_the_marker() -> None:
    assert marker("draft:drf_abc-12") == "<!-- charter:write=draft:drf_abc-12 -->"


def test_markers_of_different_keys_do_not_match() -> None:
    body = committed_body("text", None, "key-a")
    assert carries(body, "key-a")
    assert not carries(body, "key-b")


def test_the_attribution_follows_the_body_and_precedes_the_marker() -> None:
    agent = Attribution(agent="bot", grant_id="grt_1")
    assert visible_body("Hi", agent) == f"Hi\n\n---\n{agent.line()}"
    assert visible_body("", agent) == f"---\n{agent.line()}"
    assert committed_body("Hi", agent, "k1") == f"Hi\n\n---\n{agent.line()}\n\n<!-- charter:write=k1 -->"
    assert visible_body("Hi", None) == "Hi"


@pytest.mark.parametrize(
    ("query", "sent"),
    [
        ("is:open bug", "repo:acme/web is:open bug"),
        ("repo:acme/web bug", "repo:acme/web bug"),
        ("REPO:Acme/Web bug", "REPO:Acme/Web bug"),
        # Negated, the repository would be everything else on GitHub: the positive one is added.
        ("-repo:acme/web bug", "repo:acme/web -repo:acme/web bug"),
    ],
)
def test_a_search_is_always_held_to_its_repository(query: str, sent: str) -> None:
    assert SearchIssues(repo="acme/web", query=query).search_query == sent


@pytest.mark.parametrize("query", ["repo:acme/api bug", "org:acme bug", "bug -user:mona", 'repo:"acme/api"'])
def test_a_search_naming_anything_else_is_refused(query: str) -> None:
    with pytest.raises(PydanticValidationError):
        SearchIssues(repo="acme/web", query=query)

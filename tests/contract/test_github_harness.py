"""The GitHub harness: live mode works against any GitHub API, and says what to set when it cannot run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from charter.contract_tests import checks
from charter.contract_tests.harnesses.github import REPO_ENV, TOKEN_ENV, GitHubHarness
from charter.contract_tests.running import is_paginated
from charter.sandboxes.github import GitHubSandbox


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubHarness]:
    """A live-mode harness whose 'real' GitHub is a sandbox in another role."""
    sandbox = GitHubSandbox().start()
    token = sandbox.oauth.issue_token("mona", ["repo"]).access_token
    monkeypatch.setenv(TOKEN_ENV, token)
    monkeypatch.setenv(REPO_ENV, "acme/api")
    monkeypatch.setenv("CHARTER_LIVE_GITHUB_API", sandbox.url)
    harness = GitHubHarness("live")
    harness.start()
    yield harness
    sandbox.stop()


def test_live_mode_runs_the_read_checks_without_a_sandbox(live: GitHubHarness) -> None:
    actions = list(live.examples())
    assert "list_issues" in actions
    assert not any(live.connector_cls.actions[a].verb != "read" for a in actions)
    for action in actions:
        checks.check_read_results_validate(live, action)
        checks.check_repeated_read_is_identical(live, action)
        checks.check_invalid_input_sends_nothing(live, action)
        if is_paginated(live.connector_cls.actions[action]):
            checks.check_pagination_reaches_the_end(live, action)


def test_live_mode_has_no_fault_hooks(live: GitHubHarness) -> None:
    with pytest.raises(NotImplementedError):
        live.fail_next(1, 502)
    assert live.request_count() is None


def test_live_mode_names_the_variables_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    monkeypatch.setenv(REPO_ENV, "you/test-repo")
    assert GitHubHarness.live_missing() == [TOKEN_ENV]

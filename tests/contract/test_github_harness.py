"""The GitHub harness: live mode works against any GitHub API, and says what to set when it cannot run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from charter.contract_tests import checks
from charter.contract_tests.harnesses.github import REPO_ENV, TOKEN_ENV, GitHubHarness
from charter.contract_tests.running import is_paginated
from charter.sandboxes import Exchange
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


@pytest.fixture
def sandboxed() -> Iterator[GitHubHarness]:
    harness = GitHubHarness()
    harness.start()
    harness.reset()
    yield harness
    harness.stop()


def test_fidelity_reports_a_response_that_breaks_the_description(sandboxed: GitHubHarness) -> None:
    log = sandboxed.sandbox.requests
    bad = b'{"id": "not a number", "number": 1}'
    log.add(Exchange(log.next_seq(), 0.0, "GET", "/repos/acme/web/issues/1", "", {}, b"", 200, {}, bad))
    problems = sandboxed.fidelity_problems()
    assert problems
    assert all(p.startswith("GET /repos/acme/web/issues/1 -> 200") for p in problems)


def test_fidelity_fails_without_the_description(
    sandboxed: GitHubHarness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHARTER_OPENAPI_GITHUB", str(tmp_path / "missing.json"))
    with pytest.raises(FileNotFoundError, match="make specs"):
        sandboxed.fidelity_problems()


def test_state_changing_faults_skip_the_reads_before_a_write(sandboxed: GitHubHarness) -> None:
    checks.check_commits_exactly_once(sandboxed, "commit_file", "5xx")
    failed = sandboxed.sandbox.requests.find(outcome="fault")
    assert [(e.method, e.status) for e in failed] == [("PUT", 502)]

"""The canary's trails past the process: what reached a real sandbox over HTTP, what landed on disk."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from github import GithubException

from charter.connectors.github import GitHubConnector
from charter.connectors.github.models import GetRepo, Repository
from charter.contract_tests.canary_trails import scratch_dirs
from charter.contract_tests.harnesses.github import GitHubHarness
from charter.contract_tests.running import run_action

CANARY = "cnryTRAILtest"


class QueryTokenConnector(GitHubConnector):
    """Also calls /user the pre-2021 way, token in the query, and echoes it in a debug header."""

    def get_repo(self, request: GetRepo) -> Repository:
        token = self.credentials.access_token()
        requester: Any = self.api.github.requester
        with contextlib.suppress(GithubException):  # its answer is not what the connector is after
            requester.requestJsonAndCheck(
                "GET", "/user", parameters={"access_token": token}, headers={"X-Debug-Token": token}
            )
        return super().get_repo(request)


@pytest.fixture(scope="module")
def github() -> Iterator[GitHubHarness]:
    harness = GitHubHarness()
    harness.start()
    yield harness
    harness.stop()


def _get_repo(harness: GitHubHarness, connector_cls: type[GitHubConnector]) -> list[str]:
    harness.reset()
    harness.watch_secret(CANARY)
    connector = connector_cls(harness.credentials(canary=CANARY), base_url=harness.base_url)
    spec = GitHubConnector.actions["get_repo"]
    run_action(connector, spec, {"repo": "acme/web"})
    harness.expire_tokens()
    run_action(connector, spec, {"repo": "acme/api"})
    return harness.secret_sightings(CANARY)


def test_an_honest_connector_sends_the_canary_only_as_its_credential(github: GitHubHarness) -> None:
    # The run includes a refresh, whose form carries the canary in the refresh token and secret.
    assert _get_repo(github, GitHubConnector) == []
    assert github.sandbox.requests.count("POST", "/login/oauth/access_token") == 1


def test_a_token_in_the_query_and_a_debug_header_is_seen_through_pygithub(github: GitHubHarness) -> None:
    seen = _get_repo(github, QueryTokenConnector)
    assert "query of GET /user" in seen
    assert "header x-debug-token of GET /user" in seen
    # The request log itself stays redacted of the Authorization header.
    assert all(
        CANARY not in str(e.request_headers.get("authorization")) for e in github.sandbox.requests.entries
    )


@pytest.mark.parametrize("where", ["home", "tempdir", "cwd", "shared tmp"])
def test_scratch_dirs_find_a_token_written_anywhere_a_connector_would_write(where: str) -> None:
    shared = Path(tempfile.gettempdir())
    with scratch_dirs() as scratch:
        target = {
            "home": Path.home() / ".config" / "x" / "token",
            "tempdir": Path(tempfile.gettempdir()) / "token.json",
            "cwd": Path("token.txt"),
            "shared tmp": shared / f"charter-trail-{CANARY}.txt",
        }[where]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"token={CANARY}")
        try:
            found = scratch.files_holding(CANARY)
        finally:
            if where == "shared tmp":
                target.unlink()
    assert len(found) == 1
    assert found[0].endswith(target.name)


def test_scratch_dirs_restore_the_environment_and_find_nothing_on_a_clean_run() -> None:
    home, cwd, tmp = Path.home(), Path.cwd(), tempfile.gettempdir()
    with scratch_dirs() as scratch:
        assert Path.home() != home
        assert Path.cwd() != cwd
        (Path.home() / "unrelated").write_text("nothing secret")
        assert scratch.files_holding(CANARY) == []
    assert (Path.home(), Path.cwd(), tempfile.gettempdir()) == (home, cwd, tmp)

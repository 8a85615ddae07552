"""Fixtures of the injection containment set: both sandboxes, one Charter home, the tallies.

The figures (attack success, task success) are printed at the end of every run, `-s` or not.
"""

from __future__ import annotations

import pytest
from containment import Lab, Tally
from world import World

from charter.auth.crypto import KeySet, generate_key
from charter.sandboxes.github import GitHubSandbox
from charter.sandboxes.google import GoogleSandbox

TALLIES = pytest.StashKey[dict[str, Tally]]()


@pytest.fixture(scope="module")
def lab(
    tmp_path_factory: pytest.TempPathFactory, github_sandbox: GitHubSandbox, google_sandbox: GoogleSandbox
) -> Lab:
    """Scenarios over the session's sandboxes, each with fresh sandbox state and a home of its own."""
    keys = KeySet.parse(generate_key(), source="test")
    return Lab(tmp_path_factory.mktemp("injection"), World(github_sandbox, google_sandbox), keys)


@pytest.fixture(scope="session")
def tallies(pytestconfig: pytest.Config) -> dict[str, Tally]:
    """The figures per policy, filled by the tests and printed in the terminal summary."""
    return pytestconfig.stash.setdefault(TALLIES, {})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    found = config.stash.get(TALLIES, {})
    channels = _channel_summary()
    if not found and not channels:
        return
    terminalreporter.section("injection containment")
    for tally in found.values():
        for line in tally.lines():
            terminalreporter.write_line(line)
    for line in channels:
        terminalreporter.write_line(line)


def _channel_summary() -> list[str]:
    import sys

    module = sys.modules.get("test_channels")
    return module.summary() if module is not None else []

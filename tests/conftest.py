"""Fixtures shared across the suite: one GitHub sandbox per session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from charter.sandboxes.github import GitHubSandbox


@pytest.fixture(scope="session")
def github_sandbox() -> Iterator[GitHubSandbox]:
    with GitHubSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sb(github_sandbox: GitHubSandbox) -> GitHubSandbox:
    """The session's GitHub sandbox, back at its seed state."""
    github_sandbox.reset()
    return github_sandbox

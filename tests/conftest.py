"""Fixtures shared across the suite: one GitHub and one Google sandbox per session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from charter.sandboxes.github import GitHubSandbox
from charter.sandboxes.google import GoogleSandbox


@pytest.fixture(scope="session")
def github_sandbox() -> Iterator[GitHubSandbox]:
    with GitHubSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sb(github_sandbox: GitHubSandbox) -> GitHubSandbox:
    """The session's GitHub sandbox, back at its seed state."""
    github_sandbox.reset()
    return github_sandbox


@pytest.fixture(scope="session")
def google_sandbox() -> Iterator[GoogleSandbox]:
    with GoogleSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def gsb(google_sandbox: GoogleSandbox) -> GoogleSandbox:
    """The session's Google sandbox, back at its seed state."""
    google_sandbox.reset()
    return google_sandbox

"""The GitHub sandbox, a connection to it, and the connector under test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from github_credentials import SandboxCredentials

from charter.connectors.github import GitHubConnector
from charter.sandboxes.github import GitHubSandbox


@pytest.fixture
def sandbox(github_sandbox: GitHubSandbox) -> GitHubSandbox:
    github_sandbox.reset()
    return github_sandbox


@pytest.fixture
def credentials(sandbox: GitHubSandbox) -> SandboxCredentials:
    return SandboxCredentials(sandbox)


Connect = Callable[..., GitHubConnector]


@pytest.fixture
def connect(sandbox: GitHubSandbox) -> Connect:
    """A new connector on a new connection; keyword arguments go to `SandboxCredentials`."""

    def make(credentials: SandboxCredentials | None = None, **kwargs: Any) -> GitHubConnector:
        connector = GitHubConnector(
            credentials or SandboxCredentials(sandbox, **kwargs), base_url=sandbox.url
        )
        # Rate-limit waits pass on the sandbox's clock, which also judges whether they were long enough.
        connector.sleep = sandbox.clock.advance
        return connector

    return make


@pytest.fixture
def github(connect: Connect, credentials: SandboxCredentials) -> GitHubConnector:
    return connect(credentials)

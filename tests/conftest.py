"""Fixtures shared across the suite: one GitHub and one Google sandbox per session, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import pytest

from charter.connectors.base import Connector
from charter.contract_tests.harnesses.google import ACCOUNT, GoogleCredentials
from charter.sandboxes.github import GitHubSandbox
from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox

ConnectorT = TypeVar("ConnectorT", bound=Connector)


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


class GoogleConnectors:
    """Makes connectors of mona@acme.com on the Google sandbox, waiting on its clock rather than for real."""

    def __init__(self, sandbox: GoogleSandbox) -> None:
        self.sandbox = sandbox

    def __call__(
        self,
        connector_cls: type[ConnectorT],
        credentials_cls: type[GoogleCredentials],
        held: frozenset[str],
        claimed: frozenset[str] | None = None,
    ) -> ConnectorT:
        """A connector whose token holds `held` while the connection says it holds `claimed` (`held`)."""
        credentials = credentials_cls(
            token_url=f"{self.sandbox.url}/token",
            client=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            tokens=self.sandbox.oauth.issue_token(ACCOUNT, held),
            claimed=held if claimed is None else claimed,
        )
        connector = connector_cls(credentials, base_url=self.sandbox.url)
        connector.sleep = self.sandbox.clock.advance
        return connector


@pytest.fixture
def google_connector(gsb: GoogleSandbox) -> GoogleConnectors:
    """`google_connector(GmailConnector, credentials_cls, held)`: a connector on the reset Google sandbox."""
    return GoogleConnectors(gsb)

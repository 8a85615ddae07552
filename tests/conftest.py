"""Fixtures shared across the suite: a Charter home per database, one sandbox per service and session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import MetaData

from charter.auth.home import CharterHome
from charter.connectors.base import Connector
from charter.contract_tests.harnesses.google import ACCOUNT, GoogleCredentials
from charter.sandboxes.github import GitHubSandbox
from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox
from charter.sandboxes.notion import NotionSandbox

ConnectorT = TypeVar("ConnectorT", bound=Connector)


# Set CHARTER_TEST_POSTGRES_URL (postgresql+psycopg://...) to run the database tests on Postgres too.
POSTGRES_URL = os.environ.get("CHARTER_TEST_POSTGRES_URL")


def fresh_home(kind: str, path: Path) -> CharterHome:
    """A Charter home on SQLite, or on the test Postgres database with every table dropped first."""
    if kind == "sqlite":
        return CharterHome(path)
    home = CharterHome(path, database_url=POSTGRES_URL)
    tables = MetaData()
    tables.reflect(home.engine)
    tables.drop_all(home.engine)
    return home


@pytest.fixture(params=["sqlite", *(["postgres"] if POSTGRES_URL else [])])
def home(request: pytest.FixtureRequest, tmp_path: Path) -> CharterHome:
    """A fresh Charter home, once per database the run can reach."""
    return fresh_home(request.param, tmp_path / "home")


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


@pytest.fixture(scope="session")
def notion_sandbox() -> Iterator[NotionSandbox]:
    with NotionSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def nsb(notion_sandbox: NotionSandbox) -> NotionSandbox:
    """The session's Notion sandbox, back at its seed state."""
    notion_sandbox.reset()
    return notion_sandbox


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

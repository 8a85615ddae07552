"""Fixtures shared across the suite: a Charter home per database, one sandbox per service and session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import settings
from postgres_server import PostgresServer
from summaries import print_received, receive_from_worker, record_in_worker

from charter.auth.home import CharterHome
from charter.auth.storage import close_engines
from charter.connectors.base import Connector
from charter.contract_tests.harnesses.google import ACCOUNT, GoogleCredentials
from charter.sandboxes.github import GitHubSandbox
from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox
from charter.sandboxes.microsoft import GraphSandbox
from charter.sandboxes.notion import NotionSandbox

ConnectorT = TypeVar("ConnectorT", bound=Connector)


# A per-example deadline measures the machine's load, not the code: CI shares two cores.
settings.register_profile("charter", deadline=None)
settings.load_profile("charter")

DATABASES = tuple(os.environ.get("CHARTER_TEST_DATABASES", "sqlite,postgres").split(","))
if not DATABASES or set(DATABASES) - {"sqlite", "postgres"}:
    raise pytest.UsageError("CHARTER_TEST_DATABASES lists sqlite, postgres or both, comma separated")


def pytest_report_header() -> str:
    external = "CHARTER_TEST_POSTGRES_URL" if os.environ.get("CHARTER_TEST_POSTGRES_URL") else ""
    postgres = f" (Postgres: {external or 'a throwaway cluster'})" if "postgres" in DATABASES else ""
    return f"database tests run on: {', '.join(DATABASES)}{postgres}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    record_in_worker(session.config, skip=pytest_terminal_summary)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    receive_from_worker(node)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    print_received(terminalreporter, config)


@pytest.fixture(autouse=True)
def _database_only_by_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shell's Charter settings stay out of the run.

    A CHARTER_DATABASE_URL must not turn the SQLite runs into runs on some other database, and
    CHARTER_AUDIT_SINKS must not ship the tests' audit entries to the developer's real sink.
    """
    monkeypatch.delenv("CHARTER_DATABASE_URL", raising=False)
    monkeypatch.delenv("CHARTER_AUDIT_SINKS", raising=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL for the session: CHARTER_TEST_POSTGRES_URL, or a throwaway cluster on loopback."""
    external = os.environ.get("CHARTER_TEST_POSTGRES_URL")
    if external:
        yield PostgresServer.at(external)
        return
    with PostgresServer.start() as server:
        yield server


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Run the test once per database: None (the home's SQLite file), then a URL of an empty Postgres schema.

    Every test that touches a database reaches it through this fixture (directly, or through `home`),
    so it runs on both; each Postgres run gets its own schema, dropped afterwards.
    """
    if request.param == "sqlite":
        yield None
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    schema = server.create_schema()
    try:
        yield server.url(schema)
    finally:
        # Pooled connections of this test go first, so nothing holds the schema being dropped.
        close_engines()
        server.drop_schema(schema)


@pytest.fixture
def home(database_url: str | None, tmp_path: Path) -> CharterHome:
    """A fresh Charter home, once on SQLite and once on Postgres."""
    return CharterHome(tmp_path / "home", database_url=database_url)


@pytest.fixture
def worker_env(home: CharterHome) -> dict[str, str]:
    """The environment of a worker process sharing `home` (and its database) with the test."""
    env = {**os.environ, "CHARTER_HOME": str(home.path)}
    env.pop("CHARTER_DATABASE_URL", None)
    if home.database_url:
        env["CHARTER_DATABASE_URL"] = home.database_url
    return env


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
def graph_sandbox() -> Iterator[GraphSandbox]:
    with GraphSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def graph(graph_sandbox: GraphSandbox) -> GraphSandbox:
    """The session's Microsoft Graph sandbox, back at its seed state."""
    graph_sandbox.reset()
    return graph_sandbox


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

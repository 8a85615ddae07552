"""Notion connectors on the session's Notion sandbox, waiting on its clock rather than for real."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import pytest

from charter.connectors.notion import NotionConnector, errors
from charter.connectors.notion.client import _budgets
from charter.contract_tests.harnesses.notion import EVERY_CAPABILITY, NotionCredentials
from charter.sandboxes.notion import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, NotionSandbox
from charter.sandboxes.notion.fidelity import NotionSpec

MakeConnector = Callable[..., NotionConnector]


@pytest.fixture
def make_notion(nsb: NotionSandbox) -> MakeConnector:
    """`make_notion(capabilities=..., claimed=...)`: a connector whose integration has those capabilities."""
    _budgets.clear()
    errors._seen.clear()

    def make(
        capabilities: Iterable[str] = EVERY_CAPABILITY, claimed: Iterable[str] | None = None
    ) -> NotionConnector:
        held = frozenset(capabilities)
        nsb.oauth.capabilities = held
        issued = nsb.tokens.issue("mona@acme.com", held, DEFAULT_CLIENT_ID)
        credentials = NotionCredentials(
            token_url=f"{nsb.url}/v1/oauth/token",
            client=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            tokens=(issued.access_token, issued.refresh_token or ""),
            claimed=held if claimed is None else frozenset(claimed),
        )
        connector = NotionConnector(credentials, base_url=nsb.url)
        connector.sleep = nsb.clock.advance
        connector.clock = connector.wall_clock = nsb.clock.now
        return connector

    return make


@pytest.fixture
def notion(make_notion: MakeConnector) -> NotionConnector:
    return make_notion()


@pytest.fixture(scope="session")
def notion_spec() -> NotionSpec:
    return NotionSpec.load()


@pytest.fixture(autouse=True)
def _every_exchange_conforms(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test's traffic, requests and answers, conforms to Notion's official description."""
    if "nsb" not in request.fixturenames:
        yield
        return
    nsb: NotionSandbox = request.getfixturevalue("nsb")
    spec: NotionSpec = request.getfixturevalue("notion_spec")
    yield
    problems = [str(p) for p in spec.check(nsb.requests.entries)]
    assert problems == [], "\n".join(problems)

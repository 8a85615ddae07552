"""A Google sandbox for the Calendar tests, reset before each, and connectors on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from charter.connectors.calendar import CalendarConnector
from charter.contract_tests.harnesses.calendar import EVERY_SCOPE, CalendarCredentials
from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox

Connect = Callable[..., CalendarConnector]


@pytest.fixture
def connect(gsb: GoogleSandbox) -> Connect:
    """A Calendar connector of mona@acme.com holding `scopes` (every declared one by default)."""

    def make(scopes: Iterable[str] | None = None) -> CalendarConnector:
        held = frozenset(scopes) if scopes is not None else EVERY_SCOPE
        credentials = CalendarCredentials(
            token_url=f"{gsb.url}/token",
            client=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            tokens=gsb.oauth.issue_token("mona@acme.com", held),
            claimed=held,
        )
        connector = CalendarConnector(credentials, base_url=gsb.url)
        connector.sleep = gsb.clock.advance
        return connector

    return make


@pytest.fixture
def calendar(connect: Connect) -> CalendarConnector:
    return connect()

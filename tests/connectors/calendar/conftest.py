"""A Google sandbox for the Calendar tests, reset before each, and connectors on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pytest

from charter.connectors.calendar import CalendarConnector
from charter.contract_tests.harnesses.calendar import EVERY_SCOPE, CalendarCredentials

if TYPE_CHECKING:
    from conftest import GoogleConnectors

Connect = Callable[..., CalendarConnector]


@pytest.fixture
def connect(google_connector: GoogleConnectors) -> Connect:
    """A Calendar connector of mona@acme.com holding `scopes` (every declared one by default)."""

    def make(scopes: Iterable[str] | None = None) -> CalendarConnector:
        held = frozenset(scopes) if scopes is not None else EVERY_SCOPE
        return google_connector(CalendarConnector, CalendarCredentials, held)

    return make


@pytest.fixture
def calendar(connect: Connect) -> CalendarConnector:
    return connect()

"""A Google sandbox for the Gmail tests, reset before each, and Gmail connectors on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import pytest

from charter.connectors.gmail import GmailConnector
from charter.contract_tests.harnesses.gmail import EVERY_SCOPE, SandboxCredentials

if TYPE_CHECKING:
    from conftest import GoogleConnectors

MakeGmail = Callable[..., GmailConnector]


@pytest.fixture
def make_gmail(google_connector: GoogleConnectors) -> MakeGmail:
    """A Gmail connector of mona@acme.com whose token holds `scopes` (every declared one by default).

    `claimed` is what the connection says it holds, to see Google's own refusal past Charter's check.
    """

    def make(scopes: Iterable[str] | None = None, claimed: Iterable[str] | None = None) -> GmailConnector:
        held = frozenset(scopes) if scopes is not None else EVERY_SCOPE
        return google_connector(
            GmailConnector, SandboxCredentials, held, frozenset(claimed) if claimed is not None else None
        )

    return make


@pytest.fixture
def gmail(make_gmail: MakeGmail) -> GmailConnector:
    return make_gmail()

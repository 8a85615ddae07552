"""A Google sandbox for the Gmail tests, reset before each, and Gmail connectors on it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from charter.connectors.gmail import GmailConnector
from charter.contract_tests.harnesses.gmail import EVERY_SCOPE, SandboxCredentials
from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox

MakeGmail = Callable[..., GmailConnector]


@pytest.fixture
def make_gmail(gsb: GoogleSandbox) -> MakeGmail:
    """A Gmail connector of mona@acme.com whose token holds `scopes` (every declared one by default).

    `claimed` is what the connection says it holds, to see Google's own refusal past Charter's check.
    """

    def make(scopes: Iterable[str] | None = None, claimed: Iterable[str] | None = None) -> GmailConnector:
        held = frozenset(scopes) if scopes is not None else EVERY_SCOPE
        credentials = SandboxCredentials(
            token_url=f"{gsb.url}/token",
            client=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
            tokens=gsb.oauth.issue_token("mona@acme.com", held),
            claimed=frozenset(claimed) if claimed is not None else held,
        )
        connector = GmailConnector(credentials, base_url=gsb.url)
        connector.sleep = gsb.clock.advance
        return connector

    return make


@pytest.fixture
def gmail(make_gmail: MakeGmail) -> GmailConnector:
    return make_gmail()

"""The Google sandbox for these tests, and google-api-python-client services pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document

from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox
from charter.sandboxes.google.discovery import document_for_root

GMAIL_ALL = ["gmail.readonly", "gmail.compose", "gmail.modify"]
CALENDAR_ALL = ["calendar.events", "calendar.readonly"]


def credentials(sb: GoogleSandbox, access: str, refresh: str | None = None) -> Credentials:
    """google-auth credentials that refresh against the sandbox's token endpoint."""
    return Credentials(
        token=access,
        refresh_token=refresh,
        token_uri=sb.url + "/token",
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
    )


Build = Callable[..., Any]


@pytest.fixture
def build(gsb: GoogleSandbox) -> Build:
    """`build("gmail", scopes)`: a discovery-built service for mona with a fresh token of `scopes`."""

    def make(api: str, scopes: list[str] | None = None, *, creds: Credentials | None = None) -> Any:
        if creds is None:
            wanted = scopes if scopes is not None else (GMAIL_ALL if api == "gmail" else CALENDAR_ALL)
            access, refresh = gsb.oauth.issue_token("mona@acme.com", wanted)
            creds = credentials(gsb, access, refresh)
        return build_from_document(document_for_root(api, gsb.url), credentials=creds)  # type: ignore[arg-type]

    return make


@pytest.fixture
def gmail(build: Build) -> Any:
    return build("gmail")


@pytest.fixture
def calendar(build: Build) -> Any:
    return build("calendar")


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10, follow_redirects=False) as client:
        yield client


@pytest.fixture
def gsb_token(gsb: GoogleSandbox) -> str:
    """An access token of mona with every Gmail and Calendar scope these tests use."""
    return gsb.oauth.issue_token("mona@acme.com", GMAIL_ALL + CALENDAR_ALL)[0]

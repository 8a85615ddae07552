"""The Google sandbox with bulk mail and events, consented Gmail and Calendar connections, and the clients
the Google benchmarks compare: the Toolkit, the bare connectors, and google-api-python-client used directly.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from google.oauth2.credentials import Credentials as GoogleCredentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest, HttpRequest

from benchmarks.rig import Sample
from charter.agents import Toolkit
from charter.auth.connect_google import connect_google
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.providers.google import CALENDAR_EVENTS_READONLY, GMAIL_READONLY
from charter.auth.vault import Vault
from charter.connectors.calendar import CalendarConnector
from charter.connectors.gmail import GmailConnector
from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox, GoogleSeed
from charter.schemas.types import JsonValue

ACCOUNT = "mona@acme.com"
# The generated messages are titled "Bulk message <n>"; no seeded message matches.
BULK_QUERY = "subject:bulk"
# The generated events start 30 days after the sandbox's today, past every seeded one.
BULK_EVENTS_FROM_DAY = 30
# Google's largest pages (messages.list, events.list) and largest batch.
GMAIL_MAX_PAGE = 500
CALENDAR_MAX_PAGE = 2500
MAX_BATCH = 100


class GoogleRig:
    """A running Google sandbox holding `messages` extra messages and `events` extra events, and
    mona's Gmail and Calendar connections to it (made through the consent flow), in a throwaway home.
    """

    def __init__(self, messages: int, events: int) -> None:
        self.messages = messages
        self.events = events
        self.sandbox = GoogleSandbox(seed=GoogleSeed(messages=messages, events=events))
        self._dir = tempfile.TemporaryDirectory(prefix="charter-bench-google-")
        self.home = CharterHome(Path(self._dir.name) / "home")
        self.vault = Vault(self.home, keys=KeySet.parse(generate_key(), source="benchmark"))
        self.gmail_connection = ""
        self.calendar_connection = ""
        self.grant_token = ""

    def __repr__(self) -> str:
        return f"<GoogleRig {self.sandbox!r} messages={self.messages} events={self.events}>"

    def __enter__(self) -> Self:
        self.sandbox.start()
        self.gmail_connection = self._connect("gmail", GMAIL_READONLY)
        self.calendar_connection = self._connect("calendar", CALENDAR_EVENTS_READONLY)
        grant = GrantAuthority(self.home).issue(
            ACCOUNT, "benchmark-agent", (self.gmail_connection, self.calendar_connection), ("read",)
        )
        self.grant_token = grant.token
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.sandbox.stop()
        self._dir.cleanup()

    def _connect(self, service: str, scope: str) -> str:
        connection = connect_google(
            self.vault,
            service,
            scopes=[scope],
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            oauth_base=self.sandbox.url,
            api_base=self.sandbox.url,
            open_browser=lambda url: httpx.get(url, follow_redirects=True, timeout=10),
            timeout=10,
        )
        return connection.id

    # -- what the benchmarks compare ---------------------------------------------------------

    def toolkit(self) -> Toolkit:
        """A new Toolkit for the benchmark grant (read on both connections)."""
        return Toolkit(self.grant_token, home=self.home, vault=self.vault)

    def gmail_connector(self) -> GmailConnector:
        """The Gmail connector on the vault's credentials, without the agent runtime around it."""
        return GmailConnector(self.vault.credentials(self.gmail_connection), base_url=self.sandbox.url)

    def calendar_connector(self) -> CalendarConnector:
        """The Calendar connector on the vault's credentials, without the agent runtime around it."""
        credentials = self.vault.credentials(self.calendar_connection)
        return CalendarConnector(credentials, base_url=self.sandbox.url)

    def gmail_client(self) -> Any:
        """google-api-python-client's Gmail v1, set up as agent toolkits do: a token and `build`."""
        return self._client("gmail", "v1", self.gmail_connection, "/")

    def calendar_client(self) -> Any:
        """google-api-python-client's Calendar v3 (its paths need the service path in the endpoint)."""
        return self._client("calendar", "v3", self.calendar_connection, "/calendar/v3/")

    def _client(self, name: str, version: str, connection: str, path: str) -> Any:
        token = self.vault.credentials(connection).access_token()
        return build(
            name,
            version,
            credentials=GoogleCredentials(token),  # type: ignore[no-untyped-call]
            client_options={"api_endpoint": self.sandbox.url + path},
            static_discovery=True,
            cache_discovery=False,
        )

    def batch_uri(self, name: str, version: str) -> str:
        """The batch endpoint; `api_endpoint` does not move it, so it is given explicitly."""
        return f"{self.sandbox.url}/batch/{name}/{version}"

    def bulk_events_from(self) -> datetime:
        """The start of the window holding exactly the generated events."""
        now = self.sandbox.clock.now()
        return datetime.fromtimestamp(now - now % 86_400, UTC) + timedelta(days=BULK_EVENTS_FROM_DAY)

    # -- measuring -------------------------------------------------------------------------

    def set_latency(self, seconds: float) -> None:
        """Delay every API request by `seconds` (a batch once, like one real round trip)."""
        self.sandbox.faults.set_latency(seconds)

    def set_quota(self, enabled: bool) -> None:
        """Turn the sandbox's per-user quota enforcement on or off."""
        self.sandbox.quota.enabled = enabled

    def measure(self, work: Callable[[], object]) -> Sample:
        """Run `work` once; the wall time and the HTTP requests the sandbox saw meanwhile."""
        log = self.sandbox.requests
        log.clear()
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        seen = log.entries
        return Sample(seconds, len(seen), 0, sum(len(e.response_body) for e in seen))


def run_batches(requests: list[HttpRequest], batch_uri: str) -> list[JsonValue]:
    """Run `requests` in Google batches of 100 with the raw client; stops at the first failed call."""
    answers: list[JsonValue] = []

    def collect(request_id: str, response: JsonValue, exception: Exception | None) -> None:
        if exception is not None:
            raise exception
        answers.append(response)

    for start in range(0, len(requests), MAX_BATCH):
        batch = BatchHttpRequest(callback=collect, batch_uri=batch_uri)
        for request in requests[start : start + MAX_BATCH]:
            batch.add(request)
        batch.execute()
    return answers

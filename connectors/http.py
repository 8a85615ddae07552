"""One HTTP layer for connectors on httpx: 401 → refresh and send once more, and traffic counts.

The status → error table and the rate-limit headers every connector shares are in
`charter.connectors.statuses`, re-exported here.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from dataclasses import dataclass, field

import httpx

from charter.connectors.credentials import Credentials, TokenRejected
from charter.connectors.statuses import error_for_status, rate_limit_exhausted, retry_after


class RefreshingAuth(httpx.Auth):
    """Bearer auth from a connection; a 401 refreshes with the token it rejected and sends once more.

    The refresh names the rejected token, so the vault's single-flight refresh hands a caller whose
    token another caller already replaced the new one instead of refreshing again. A 401 means the
    service did not act, so sending the same request again cannot repeat a write.
    """

    def __init__(self, credentials: Credentials, scheme: str = "Bearer") -> None:
        self.credentials = credentials
        self.scheme = scheme

    def __repr__(self) -> str:
        return f"<RefreshingAuth connection={self.credentials.connection_id!r}>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.credentials.access_token()
        request.headers["Authorization"] = f"{self.scheme} {token}"
        response = yield request
        if response.status_code == 401:
            fresh = self.credentials.refresh(token)
            request.headers["Authorization"] = f"{self.scheme} {fresh}"
            yield request


@dataclass
class TrafficCount:
    """Requests sent and bytes moved by one httpx client, for benchmarks and `requests` figures."""

    requests: int = 0
    sent_bytes: int = 0
    received_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def attach(self, client: httpx.Client) -> httpx.Client:
        """Count every request `client` sends from now on; returns the client."""
        hooks = client.event_hooks
        client.event_hooks = {
            "request": [*hooks.get("request", []), self._sent],
            "response": [*hooks.get("response", []), self._received],
        }
        return client

    def _sent(self, request: httpx.Request) -> None:
        size = len(request.content) if request.stream is not None and _buffered(request) else 0
        with self._lock:
            self.requests += 1
            self.sent_bytes += size

    def _received(self, response: httpx.Response) -> None:
        size = int(response.headers.get("content-length") or 0)
        with self._lock:
            self.received_bytes += size


def _buffered(request: httpx.Request) -> bool:
    try:
        request.content  # noqa: B018 - raises for a streaming body, which is not counted
    except httpx.RequestNotRead:
        return False
    return True


__all__ = [
    "RefreshingAuth",
    "TokenRejected",
    "TrafficCount",
    "error_for_status",
    "rate_limit_exhausted",
    "retry_after",
]

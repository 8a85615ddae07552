"""How google-api-python-client reaches Google for a Charter connection: token bridge and HTTP.

The client library expects a google-auth `Credentials` and an httplib2-style `Http`. Both are
supplied here so that the token always comes from the vault (refreshed single-flight there), a
401 surfaces as `TokenRejected` for the connector base to answer, and nothing is ever re-sent
behind the connector's back: httplib2 silently repeats a request whose connection dropped, which
for a send could mean a second mail.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import google.auth.credentials
import httpx

from charter.connectors.base import Credentials, TokenRejected
from charter.connectors.http import TrafficCount
from charter.schemas import NoAnswer, UpstreamError

DEFAULT_TIMEOUT = 30.0


class ConnectionCredentials(google.auth.credentials.Credentials):
    """google-auth credentials whose token is the Charter connection's; they never refresh themselves.

    `refresh` is what google-api-python-client calls after a 401 (also for a part of a batch):
    it raises `TokenRejected`, so the connector base refreshes once through the vault and retries.
    """

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._connection = credentials

    def __repr__(self) -> str:
        return f"<ConnectionCredentials connection={self._connection.connection_id!r}>"

    @property
    def connection(self) -> Credentials:
        return self._connection

    @property
    def valid(self) -> bool:
        # The vault decides freshness on every `access_token()`; google-auth must not second-guess it.
        return True

    @property
    def expired(self) -> bool:
        return False

    def refresh(self, request: object) -> None:
        raise TokenRejected()

    def before_request(
        self, request: object, method: str, url: str, headers: MutableMapping[str, str]
    ) -> None:
        self.apply(headers)

    def apply(self, headers: MutableMapping[str, str], token: str | None = None) -> None:
        headers["authorization"] = f"Bearer {token or self._connection.access_token()}"


class WireResponse(dict[str, str]):
    """An answer in the shape google-api-python-client reads from httplib2: headers plus `status`."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str]) -> None:
        super().__init__({k.lower(): v for k, v in headers.items()})
        self["status"] = str(status)
        self.status = status
        self.reason = reason


class ConnectionHttp:
    """An httplib2-compatible transport over httpx that signs each request for one connection.

    httpx retries only connection attempts that never reached the server; every other failure
    is raised as `UpstreamError`, and a 401 as `TokenRejected`.
    """

    def __init__(
        self,
        credentials: ConnectionCredentials,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        client: httpx.Client | None = None,
    ) -> None:
        self.credentials = credentials
        self.traffic = TrafficCount()
        self._client = self.traffic.attach(
            client or httpx.Client(timeout=timeout, transport=httpx.HTTPTransport(retries=1), trust_env=False)
        )

    def __repr__(self) -> str:
        return f"<ConnectionHttp {self.credentials!r}>"

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[WireResponse, bytes]:
        """Send one request with the connection's token; answers as httplib2 would."""
        sent: dict[str, str] = {k.lower(): str(v) for k, v in (headers or {}).items()}
        self.credentials.before_request(None, method, uri, sent)
        try:
            answer = self._client.request(method, uri, content=body, headers=sent)
        except httpx.ConnectError:
            raise UpstreamError(
                f"could not connect to Google for {method} {_path(uri)}; nothing was sent. Try again shortly."
            ) from None
        except httpx.TimeoutException:
            raise NoAnswer(
                f"Google did not answer {method} {_path(uri)} in time; try again shortly."
            ) from None
        except httpx.TransportError as exc:
            # The request may have reached Google and been acted on: the answer is what was lost.
            raise NoAnswer(
                f"the connection to Google failed during {method} {_path(uri)} ({type(exc).__name__}); "
                "try again shortly."
            ) from None
        if answer.status_code == 401:
            raise TokenRejected()
        joined = {key: ", ".join(answer.headers.get_list(key)) for key in answer.headers}
        # httpx already decoded any gzip body; the header would mislead a reader of the bytes.
        joined.pop("content-encoding", None)
        return WireResponse(answer.status_code, answer.reason_phrase, joined), answer.content

    def close(self) -> None:
        self._client.close()


def _path(uri: str) -> str:
    """The path of a URL, without the query (which may hold a search the person typed)."""
    return httpx.URL(uri).path

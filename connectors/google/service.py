"""google-api-python-client for a Charter connection: static discovery, a base URL, batches.

The service is built from the discovery document shipped inside google-api-python-client, with its
`rootUrl` set to the connection's API base, so method and batch URLs both point there (Google, or a
sandbox on loopback) and nothing is fetched from the network to build it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.http import HttpRequest

from charter.connectors.base import Credentials
from charter.connectors.google.batch import decode_batch, encode_batch
from charter.connectors.google.errors import error_for, read_error, translate_errors
from charter.connectors.google.transport import DEFAULT_TIMEOUT, ConnectionCredentials, ConnectionHttp
from charter.schemas import CharterError, ConfigurationError, RateLimited
from charter.schemas.types import JsonValue

API_BASE = "https://www.googleapis.com"
# Google refuses a batch of more than 100 calls.
MAX_BATCH = 100


@lru_cache(maxsize=8)
def discovery_text(name: str, version: str) -> str:
    """The discovery document google-api-python-client ships for an API, as text."""
    text = get_static_doc(name, version)
    if text is None:
        raise ConfigurationError(
            f"google-api-python-client ships no discovery document for {name} {version}; upgrade it "
            "(pip install -U google-api-python-client)"
        )
    return str(text)


def discovery_document(name: str, version: str) -> dict[str, Any]:
    """A fresh parsed copy of the shipped discovery document (the client library mutates it)."""
    doc: dict[str, Any] = json.loads(discovery_text(name, version))
    return doc


def api_root(base_url: str | None) -> str:
    """The root every Google API path hangs from, with the trailing slash discovery expects."""
    return (base_url or API_BASE).rstrip("/") + "/"


def build_service(name: str, version: str, http: ConnectionHttp, base_url: str | None = None) -> Any:
    """A client-library service object for `name` `version` under `base_url`, using `http`."""
    doc = discovery_document(name, version)
    doc["rootUrl"] = api_root(base_url)
    # Never switch to the mTLS host: the base URL given is where this connection's API lives.
    doc.pop("mtlsRootUrl", None)
    return build_from_document(doc, http=http)


# An id that stands in for each of a batch's ids while its one request is built through discovery.
_ID_MARKER = "charterIdMarker0"
# Ids a path carries as they are (what Gmail's and Calendar's ids are made of).
_PLAIN_ID = re.compile(r"[0-9A-Za-z_-]{1,200}")


def requests_by_id(build: Callable[[str], HttpRequest], ids: Sequence[str]) -> list[HttpRequest]:
    """`build(id)` for each of `ids`, walking discovery once: the others are the client's own
    HttpRequest with the id in its path. Building one through discovery validates and expands
    every parameter, which costs more per call than a batch saves; an id that would need escaping
    is built through discovery."""
    template = build(_ID_MARKER)
    head, marker, tail = template.uri.partition(f"/{_ID_MARKER}")
    if not marker or _ID_MARKER in tail:
        return [build(ident) for ident in ids]
    return [
        HttpRequest(
            template.http,
            template.postproc,
            f"{head}/{ident}{tail}",
            method=template.method,
            body=template.body,
            headers=dict(template.headers),
            methodId=template.methodId,
            resumable=template.resumable,
        )
        if _PLAIN_ID.fullmatch(ident)
        else build(ident)
        for ident in ids
    ]


@dataclass(frozen=True)
class BatchFailure:
    """A call of a batch that failed on its own while the others succeeded."""

    error: CharterError


class GoogleService:
    """One Google API (e.g. gmail v1) for one connection: built lazily, shared by threads.

    `sleep` is how quota waits between batch rounds pass (a sandbox clock's `advance` in tests).
    """

    def __init__(
        self,
        credentials: Credentials,
        name: str,
        version: str,
        *,
        base_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 30.0,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.name = name
        self.version = version
        self.base_url = (base_url or API_BASE).rstrip("/")
        self.http = ConnectionHttp(ConnectionCredentials(credentials), timeout=timeout)
        self.sleep = sleep
        self._max_wait = max_wait
        self._service: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<GoogleService {self.name} {self.version} at {self.base_url} {self.http.credentials!r}>"

    @property
    def service(self) -> Any:
        """The client library's service object (e.g. `service.users().messages()`)."""
        with self._lock:
            if self._service is None:
                self._service = build_service(self.name, self.version, self.http, self.base_url)
            return self._service

    @property
    def batch_uri(self) -> str:
        """The API's own batch endpoint, e.g. `…/batch/gmail/v1`."""
        return f"{self.base_url}/batch/{self.name}/{self.version}"

    def execute(self, request: HttpRequest, subject: str) -> JsonValue:
        """Run one request; Google's errors become Charter errors naming `subject`."""
        with translate_errors(subject):
            return request.execute()

    def batch(
        self, requests: Sequence[HttpRequest], subject: str, *, size: int = MAX_BATCH
    ) -> list[JsonValue]:
        """Run calls in batches of at most `size`; results (or `BatchFailure`s) in request order.

        Calls refused for quota are sent again, alone, after Google's wait, within `max_wait`.
        """
        if not 1 <= size <= MAX_BATCH:
            raise ConfigurationError(f"a Google batch holds 1 to {MAX_BATCH} calls, not {size}")
        results: list[JsonValue] = [None] * len(requests)
        pending = list(range(len(requests)))
        waited = 0.0
        while pending:
            limited: list[tuple[int, RateLimited]] = []
            for start in range(0, len(pending), size):
                chunk = pending[start : start + size]
                for index, outcome in self._send_batch(requests, chunk, subject):
                    if isinstance(outcome, BatchFailure) and isinstance(outcome.error, RateLimited):
                        limited.append((index, outcome.error))
                    else:
                        results[index] = outcome
            if not limited:
                break
            wait = max(float(err.details.get("retry_after") or 1.0) for _, err in limited)
            if waited + wait > self._max_wait:
                raise limited[0][1]
            self.sleep(wait)
            waited += wait
            pending = [index for index, _ in limited]
        return results

    def _send_batch(
        self, requests: Sequence[HttpRequest], chunk: Sequence[int], subject: str
    ) -> list[tuple[int, JsonValue]]:
        content_type, body = encode_batch({str(index): requests[index] for index in chunk})
        resp, content = self.http.request(
            self.batch_uri, "POST", body=body, headers={"content-type": content_type}
        )
        if resp.status >= 300:
            raise error_for(read_error(resp.status, content, resp), subject)
        answers = decode_batch(resp.get("content-type", ""), content, [str(i) for i in chunk])
        out: list[tuple[int, JsonValue]] = []
        for index in chunk:
            part, data = answers[str(index)]
            if part.status >= 300:
                error = error_for(read_error(part.status, data, part), subject)
                if not isinstance(error, CharterError):
                    raise error
                out.append((index, BatchFailure(error)))
            else:
                out.append((index, requests[index].postproc(part, data)))
        return out

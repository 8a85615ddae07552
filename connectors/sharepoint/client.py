"""Graph over httpx for the SharePoint connector: auth per request, errors, paging, `$batch`, throttling.

Every Graph request first draws its resource units from the tenant's `ResourceBudget` (see `budget`);
the pre-authenticated download and upload hosts are not Graph and draw nothing.

One status → Charter error table for every call. `@odata.nextLink` is followed only on the Graph
host the connector was pointed at, so a forged link can never carry the token elsewhere. Upload
and download URLs are pre-authenticated: they are called without an Authorization header, and
never leave this module (no log line, no error message, no result shows them).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

import httpx

from charter.connectors.base import Credentials, TokenRejected
from charter.connectors.http import RefreshingAuth, TrafficCount, error_for_status, retry_after
from charter.connectors.paging import PageTrail
from charter.connectors.sharepoint.budget import batch_units, budget_for, units_for
from charter.schemas import Conflict, NotFound, RateLimited, ScopeMissing, UpstreamError, ValidationError
from charter.schemas.types import JsonObject

log = logging.getLogger("charter.connectors.sharepoint")
DEFAULT_API = "https://graph.microsoft.com/v1.0"
MAX_BATCH = 20
# What Graph's own SDKs wait when a 429 or 503 comes without Retry-After.
DEFAULT_WAIT = 10.0


class PreauthenticatedUrlFilter(logging.Filter):
    """Blanks the query of download and upload-session URLs in httpx's request log lines.

    Those queries carry the credential (`tempauth=…`, the session guid): anyone reading the log
    could fetch the file or write to the session without a token.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(_secret_url(a) for a in record.args):
            record.args = tuple(_redacted(a) if _secret_url(a) else a for a in record.args)
        return True


def _secret_url(value: object) -> bool:
    text = str(value)
    return "tempauth=" in text or "uploadSession" in text


def _redacted(value: object) -> str:
    return str(value).split("?", 1)[0] + "?[redacted]"


logging.getLogger("httpx").addFilter(PreauthenticatedUrlFilter())


def user_agent() -> str:
    """`ISV|Company|App/Version`, the form Microsoft asks of ISVs (unmarked traffic is throttled first)."""
    try:
        ours = version("charter")
    except PackageNotFoundError:
        ours = "0"
    return f"ISV|Charter|Charter/{ours}"


@dataclass(frozen=True)
class GraphAnswer:
    """A Graph response: status, JSON body (None when empty) and headers."""

    status: int
    body: Any
    headers: Mapping[str, str]


class GraphClient:
    """The Graph calls the connector makes, with a fresh token on every request."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: Callable[[], float] = lambda: 30.0,
    ) -> None:
        self.credentials = credentials
        self.base = (base_url or DEFAULT_API).rstrip("/")
        # The tenant's resource units, shared with every connector of the tenant in this process.
        self.budget = budget_for(self.base, credentials.account)
        self.clock, self.sleep, self.max_wait = clock, sleep, max_wait
        self._origin = _origin(self.base)
        self.traffic = TrafficCount()
        self.http = self.traffic.attach(
            httpx.Client(timeout=timeout, headers={"User-Agent": user_agent()}, follow_redirects=False)
        )
        # Graph calls only; the pre-authenticated upload and download URLs go without it.
        self._auth = RefreshingAuth(credentials)

    def __repr__(self) -> str:
        return f"<GraphClient {self.base} connection={self.credentials.connection_id!r}>"

    def url(self, path: str) -> str:
        return path if path.startswith(self._origin + "/") else self.base + path

    def on_host(self, path_and_query: str) -> str:
        """An absolute URL on the Graph host for a path+query kept in a cursor."""
        return self._origin + path_and_query

    def call(
        self,
        method: str,
        path: str,
        subject: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        accept: tuple[int, ...] = (),
        units: int | None = None,
    ) -> GraphAnswer:
        """One Graph request about `subject`; a refusal raises the matching Charter error.

        Statuses in `accept` are returned for the caller to handle (delta's 410 Gone). `units`
        overrides the request's RU cost (a `$batch` costs what its requests cost).
        """
        url = self.url(path)
        if _origin(url) != self._origin:
            raise UpstreamError(
                f"Graph answered with a link to another host while reading {subject}; refused."
            )
        self.hold(units_for(method, url, params) if units is None else units, subject)
        try:
            response = self.http.request(
                method,
                url,
                params=params,
                json=body if content is None else None,
                content=content,
                headers=headers,
                auth=self._auth,
            )
        except httpx.TimeoutException:
            raise UpstreamError(
                f"Microsoft Graph did not answer in time about {subject}; try again shortly."
            ) from None
        except httpx.TransportError:
            raise UpstreamError(
                f"the connection to Microsoft Graph failed while working on {subject}; try again."
            ) from None
        answer = self._answered(response)
        if answer.status >= 400 and answer.status not in accept:
            raise error_for(answer, subject, self.credentials.granted_scopes)
        return answer

    def hold(self, units: int, subject: str) -> None:
        """Wait until the tenant's budget has `units` RU for a request about `subject`, or refuse."""
        longest = self.max_wait()
        wait = self.budget.take(units, self.clock(), self, longest)
        if wait > longest:
            if wait == float("inf"):
                raise ValidationError(
                    f"{subject} needs more of SharePoint's resource units than the tenant has in a "
                    "minute; ask for fewer items at once."
                )
            raise RateLimited(
                f"SharePoint's resource units for this tenant are spent; wait {wait:.0f} s before "
                f"working on {subject} again.",
                retry_after=wait,
            )
        if wait > 0:
            self.sleep(wait)

    def _answered(self, response: httpx.Response) -> GraphAnswer:
        """The answer, after the budget took in its `RateLimit-*` headers or its Retry-After."""
        now = self.clock()
        self.budget.observe(response.headers, now)
        if response.status_code in (429, 503) and retry_after(response.headers) is not None:
            self.budget.close_for(_retry_after(response.headers), now, self)
        return GraphAnswer(response.status_code, _json(response), response.headers)

    def get(self, path: str, subject: str, params: Mapping[str, str] | None = None) -> JsonObject:
        body = self.call("GET", path, subject, params=params).body
        return body if isinstance(body, dict) else {}

    def pages(self, path: str, subject: str, params: Mapping[str, str] | None = None) -> Iterator[JsonObject]:
        """Every page of a collection, following `@odata.nextLink` (on the Graph host only)."""
        page = self.get(path, subject, params)
        trail = PageTrail("Microsoft Graph", subject)
        while True:
            yield page
            link = page.get("@odata.nextLink")
            link = trail.follow(link if isinstance(link, str) else None)
            if link is None:
                return
            page = self.get(link, subject)

    def batch(
        self, requests: Sequence[JsonObject], subject: str, sleep: Any, max_wait: float
    ) -> dict[str, JsonObject]:
        """Answers of many GETs by request id, 20 per `$batch`; throttled inner requests are retried alone."""
        answers: dict[str, JsonObject] = {}
        pending = list(requests)
        waited = 0.0
        while pending:
            retry: list[JsonObject] = []
            wait = 0.0
            for start in range(0, len(pending), MAX_BATCH):
                chunk = pending[start : start + MAX_BATCH]
                answer = self.call(
                    "POST", "/$batch", subject, body={"requests": chunk}, units=batch_units(chunk)
                )
                body = answer.body or {}
                by_id = {str(r["id"]): r for r in chunk}
                for response in body.get("responses", []):
                    rid = str(response.get("id"))
                    if response.get("status") in (429, 503) and rid in by_id:
                        retry.append(by_id[rid])
                        wait = max(wait, _retry_after(response.get("headers") or {}))
                    else:
                        answers[rid] = response
            if retry:
                if waited + wait > max_wait:
                    raise RateLimited(
                        f"Graph kept throttling reads of {subject}; wait {wait:.0f} s.", retry_after=wait
                    )
                sleep(wait)
                waited += wait
            pending = retry
        return answers

    def fetch(
        self, url: str, subject: str, range_header: str | None, limit: int
    ) -> tuple[bytes, Mapping[str, str], bool]:
        """Bytes from a pre-authenticated URL (no Authorization header), at most `limit`; True if cut."""
        headers = {"Range": range_header} if range_header else {}
        chunks: list[bytes] = []
        size = 0
        try:
            with self.http.stream("GET", url, headers=headers) as response:
                if response.status_code not in (200, 206):
                    raise error_for(
                        GraphAnswer(response.status_code, None, response.headers), subject, frozenset()
                    )
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > limit:
                        return b"".join(chunks)[:limit], response.headers, True
                return b"".join(chunks), response.headers, False
        except httpx.TransportError:
            raise UpstreamError(f"the download of {subject} failed; try again.") from None

    def put_fragment(self, url: str, data: bytes, first: int, total: int, subject: str) -> GraphAnswer:
        """One upload-session fragment, sent without Authorization (the URL carries its own)."""
        headers = {"Content-Range": f"bytes {first}-{first + len(data) - 1}/{total}"}
        try:
            response = self.http.put(url, content=data, headers=headers)
        except httpx.TransportError:
            raise UpstreamError(
                f"the upload of {subject} was cut off; it resumes where Graph stopped."
            ) from None
        answer = self._answered(response)
        if answer.status >= 400 and answer.status != 416:
            raise error_for(answer, subject, self.credentials.granted_scopes)
        return answer

    def session_status(self, url: str, subject: str) -> JsonObject:
        try:
            response = self.http.get(url)
        except httpx.TransportError:
            raise UpstreamError(
                f"could not ask Graph how far the upload of {subject} got; try again."
            ) from None
        if response.status_code >= 400:
            raise error_for(
                GraphAnswer(response.status_code, _json(response), response.headers), subject, frozenset()
            )
        body = _json(response)
        return body if isinstance(body, dict) else {}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None


def _retry_after(headers: Mapping[str, str]) -> float:
    wait = retry_after(headers)
    return DEFAULT_WAIT if wait is None else wait


def graph_error(body: Any) -> tuple[str, str]:
    """(code, message) of Graph's error body, tolerating other shapes."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "").strip()[:300]


def error_for(answer: GraphAnswer, subject: str, granted: frozenset[str]) -> Exception:
    """The Charter error (or `TokenRejected`) for one Graph error answer."""
    status = answer.status
    code, message = graph_error(answer.body)
    said = f"{code}: {message}" if code else (message or f"HTTP {status}")
    if status == 401:
        return TokenRejected()
    if status == 429 or (status == 503 and "retry-after" in {k.lower() for k in answer.headers}):
        wait = _retry_after(answer.headers)
        return RateLimited(
            f"Microsoft Graph is throttling; wait {wait:.0f} s before working on {subject} again.",
            retry_after=wait,
        )
    if status == 403:
        hint = (
            "this connection uses Sites.Selected: an administrator must grant the app this site"
            if "Sites.Selected" in granted
            else "the connection lacks a permission for it, or the person has no access"
        )
        return ScopeMissing(f"Microsoft Graph refused access to {subject} ({said}); {hint}.")
    if status == 404:
        return NotFound(
            f"{subject} was not found, or is not shared with this person or app ({said}); check the path "
            "and that the site or library is one the connection can reach."
        )
    if status == 409:
        return Conflict(f"{subject} already exists or changed meanwhile ({said}).", graph_code=code)
    if status == 412:
        return Conflict(
            f"{subject} changed since it was read ({said}); read it again and redo the change.",
            graph_code=code,
        )
    if status == 423:
        return Conflict(f"{subject} is locked (checked out or open for editing); try later.", graph_code=code)
    if status == 507:
        return ValidationError(f"the library has no room for {subject} ({said}); free space first.")
    return error_for_status(status, "Microsoft Graph", subject, said=said)

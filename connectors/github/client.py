"""PyGithub plumbing for the GitHub connector: auth per request, retries, conditional reads, errors."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests
import urllib3.exceptions
from github import Auth, Github, GithubException, GithubRetry
from github.PullRequest import PullRequest as GithubPullRequest

from charter.auth.providers import GITHUB
from charter.connectors import statuses
from charter.connectors.base import Credentials, TokenRejected
from charter.connectors.statuses import rate_limit_exhausted
from charter.schemas import (
    CharterError,
    Conflict,
    NoAnswer,
    RateLimited,
    ScopeMissing,
    ValidationError,
)
from charter.schemas.types import JsonValue

DEFAULT_API = "https://api.github.com"
USER_AGENT = "charter-github-connector"
Params = Mapping[str, str | int]


class ConnectionToken(Auth.Auth):
    """PyGithub auth that asks the connection for a fresh token on every request."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    @property
    def token_type(self) -> str:
        return "token"

    @property
    def token(self) -> str:
        return self._credentials.access_token()

    @property
    def _masked_token(self) -> str:
        return "token (hidden)"

    def __repr__(self) -> str:
        return f"<ConnectionToken connection={self._credentials.connection_id!r}>"


class TransportRetry(GithubRetry):
    """Retries safe requests on 5xx and connection errors; hands every rate limit to Charter.

    Writes are never re-sent here: after a 5xx or a dropped connection the connector must first look
    for the effect of the lost attempt. Rate limits surface as `RateLimited`, so the connector's
    own wait honours Retry-After and is visible to the caller.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code in (403, 429):
            return False
        return bool(super().is_retry(method, status_code, has_retry_after))


def transport_retry() -> TransportRetry:
    return TransportRetry(total=3, backoff_factor=0, allowed_methods=frozenset({"GET", "HEAD"}))


class ETagCache:
    """Bodies of earlier reads by URL and connection, so a repeat read can be a 304."""

    def __init__(self, max_entries: int = 512) -> None:
        self._entries: OrderedDict[tuple[str, str], tuple[str, JsonValue, dict[str, str]]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[str, JsonValue, dict[str, str]] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: tuple[str, str], etag: str, body: JsonValue, headers: dict[str, str]) -> None:
        with self._lock:
            self._entries[key] = (etag, body, headers)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)


class GitHubApi:
    """The REST and GraphQL calls the connector makes, over one lazily built PyGithub client."""

    def __init__(
        self, credentials: Credentials, base_url: str | None = None, *, timeout: float = 30.0
    ) -> None:
        self.credentials = credentials
        self.base_url = (base_url or DEFAULT_API).rstrip("/")
        self.timeout = timeout
        self.etags = ETagCache()
        self._github: Github | None = None
        self._login: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<GitHubApi {self.base_url} connection={self.credentials.connection_id!r}>"

    @property
    def github(self) -> Github:
        """The PyGithub client, built on first use and kept for the connector's lifetime."""
        with self._lock:
            if self._github is None:
                self._github = Github(
                    base_url=self.base_url,
                    auth=ConnectionToken(self.credentials),
                    retry=transport_retry(),
                    seconds_between_requests=None,
                    seconds_between_writes=None,
                    # PyGithub insists on whole seconds.
                    timeout=max(1, math.ceil(self.timeout)),
                    user_agent=USER_AGENT,
                )
            return self._github

    def get(self, path: str, params: Params | None = None) -> tuple[JsonValue, dict[str, str]]:
        """GET with If-None-Match when this connection read the URL before; a 304 serves the cache."""
        url = path + ("?" + urlencode(params) if params else "")
        key = (self.credentials.connection_id, url)
        cached = self.etags.get(key)
        headers = {"If-None-Match": cached[0]} if cached else {}
        response_headers, data = self.github.requester.requestJsonAndCheck("GET", url, headers=headers)
        if cached is not None and data is None:
            # A 304 has no body: GitHub confirmed the cached one is current.
            return cached[1], cached[2]
        etag = response_headers.get("etag")
        if etag:
            self.etags.put(key, etag, data, response_headers)
        return data, response_headers

    def get_page(self, path: str, params: Params, page: int) -> tuple[list[JsonValue], int | None]:
        """One page of a listing and the number of the next page, if GitHub announced one."""
        data, headers = self.get(path, {**params, "page": page})
        items = data.get("items", []) if isinstance(data, dict) else data
        return list(items or []), next_page(headers.get("link"), "next")

    def send(self, verb: str, path: str, body: JsonValue | None = None) -> JsonValue:
        """A write; never retried below this call (see `TransportRetry`)."""
        _, data = self.github.requester.requestJsonAndCheck(verb, path, input=body)
        return data

    def token_scopes(self) -> frozenset[str] | None:
        """The scopes GitHub reported for the token on the last answer (None if it did not say)."""
        reported = self.github.requester.oauth_scopes
        return None if reported is None else GITHUB.parse_scopes(",".join(reported))

    def login(self) -> str:
        """The login of the account behind the connection (read once)."""
        if self._login is None:
            data, _ = self.get("/user")
            self._login = str(data["login"])
        return self._login

    def mark_ready_for_review(self, pull: JsonValue) -> None:
        """Turn a draft pull request into one ready for review (GitHub offers this only in GraphQL)."""
        self.github.create_from_raw_data(GithubPullRequest, pull).mark_ready_for_review()


def next_page(link: str | None, rel: str) -> int | None:
    """The page number of the `rel` entry of a Link header."""
    for part in (link or "").split(","):
        if f'rel="{rel}"' in part and "<" in part:
            url = part[part.index("<") + 1 : part.index(">")]
            pages = parse_qs(urlparse(url).query).get("page")
            if pages and pages[0].isdigit():
                return int(pages[0])
    return None


@contextmanager
def translate_errors(subject: str, granted: frozenset[str]) -> Iterator[None]:
    """Turn PyGithub and transport failures about `subject` into Charter errors.

    Messages never carry the provider's exception text verbatim beyond GitHub's own error message,
    and never a header or token.
    """
    try:
        yield
    except CharterError:
        raise
    except GithubException as exc:
        raise error_for(exc, subject, granted) from None
    except requests.exceptions.Timeout:
        raise NoAnswer(f"GitHub did not answer in time about {subject}; try again shortly.") from None
    except (
        requests.exceptions.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.RetryError,
        urllib3.exceptions.ProtocolError,
    ):
        # The request may have reached GitHub and been acted on: the answer is what was lost.
        raise NoAnswer(
            f"the connection to GitHub failed while working on {subject}; try again shortly."
        ) from None


def error_for(exc: GithubException, subject: str, granted: frozenset[str]) -> Exception:
    """The Charter error (or `TokenRejected`) for one GitHub error response."""
    status = exc.status
    headers = {k.lower(): str(v) for k, v in (exc.headers or {}).items()}
    body = exc.data if isinstance(exc.data, dict) else {}
    message = str(body.get("message") or "").strip()
    if status == 401:
        return TokenRejected()
    if status in (403, 429) and is_rate_limit(status, headers, message):
        wait = retry_after(headers)
        return RateLimited(
            f"GitHub rate limit reached; wait {wait:.0f} s before working on {subject} again.",
            retry_after=wait,
        )
    if status in (403, 404):
        missing = scopes_missing(headers, granted)
        if missing:
            return ScopeMissing(
                f"GitHub needs the scope {' or '.join(missing)} for {subject}, which this connection "
                "was not granted; connect GitHub again and approve it.",
                missing=missing,
            )
    if status == 403:
        return ScopeMissing(
            f"GitHub refused access to {subject} ({message or 'forbidden'}); the account needs "
            "more permission on it."
        )
    if status in (409, 405) or (
        status == 422 and "already exists" in describe_field_errors(message, body).lower()
    ):
        return Conflict(f"GitHub refused the change to {subject}: {describe_field_errors(message, body)}.")
    if status == 422:
        return ValidationError(
            f"GitHub refused the change to {subject}: {describe_field_errors(message, body)}. "
            "Nothing was changed; fix the arguments and try again.",
            problems=field_errors(body),
        )
    return statuses.error_for_status(status, "GitHub", subject, headers=headers, said=message)


def is_rate_limit(status: int, headers: Mapping[str, str], message: str) -> bool:
    # GitHub answers a secondary rate limit with 403 and says so only in the message.
    if status == 429 or "retry-after" in headers:
        return True
    return rate_limit_exhausted(headers) or "rate limit" in message.lower()


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float:
    """Seconds to wait, from Retry-After or X-RateLimit-Reset; one minute when GitHub gives neither."""
    wait = statuses.retry_after(headers, now)
    return 60.0 if wait is None else wait


def scopes_missing(headers: Mapping[str, str], granted: frozenset[str]) -> list[str]:
    """The scopes GitHub would accept for the request, if the token has none of them."""
    accepted = GITHUB.parse_scopes(headers.get("x-accepted-oauth-scopes"))
    if not accepted:
        return []
    token_scopes = (
        GITHUB.parse_scopes(headers.get("x-oauth-scopes")) if "x-oauth-scopes" in headers else granted
    )
    if accepted & GITHUB.expand(token_scopes):
        return []
    return sorted(accepted)


def field_errors(body: Mapping[str, Any]) -> list[dict[str, str]]:
    out = []
    for err in body.get("errors") or []:
        if isinstance(err, dict):
            out.append(
                {
                    "field": str(err.get("field") or err.get("resource") or ""),
                    "problem": str(err.get("message") or err.get("code") or "invalid"),
                }
            )
        else:
            out.append({"field": "", "problem": str(err)})
    return out


def describe_field_errors(message: str, body: Mapping[str, Any]) -> str:
    problems = [f"{e['field']}: {e['problem']}" if e["field"] else e["problem"] for e in field_errors(body)]
    return (message or "validation failed") + (f" ({'; '.join(problems)})" if problems else "")

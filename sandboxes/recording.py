"""The request log: every exchange a sandbox served, so tests can count calls and check responses."""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, urlencode

Handling = Literal["served", "fault", "dropped_before", "dropped_after", "stalled_before", "stalled_after"]

REDACTED = "[redacted]"
# Field names whose values are secrets wherever they appear at the top of a body.
SECRET_FIELDS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "code_verifier",
        "device_code",
        "password",
        "token",
        "assertion",
    }
)
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "set-cookie"})
_EMBEDDED_AUTH = re.compile(rb"(?im)^((?:proxy-)?authorization:[ \t]*[A-Za-z]+)[ \t]+[^\r\n]+")


@dataclass(frozen=True)
class Exchange:
    """One request and what the sandbox answered (`status` is None when the connection was dropped)."""

    seq: int
    timestamp: float
    method: str
    path: str
    query: str
    request_headers: Mapping[str, str]
    request_body: bytes = field(repr=False)
    status: int | None
    response_headers: Mapping[str, str]
    response_body: bytes = field(repr=False)
    outcome: Handling = "served"
    login: str | None = None

    def json(self) -> object:
        """The response body parsed as JSON, or None when it is empty or not JSON."""
        if not self.response_body:
            return None
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def request_json(self) -> object:
        """The request body parsed as JSON, or None."""
        if not self.request_body:
            return None
        try:
            return json.loads(self.request_body)
        except ValueError:
            return None

    def to_dict(self, bodies: bool = True) -> dict[str, object]:
        """A JSON-friendly view, for the `/_sandbox/requests` route."""
        out: dict[str, object] = {
            "seq": self.seq,
            "timestamp": self.timestamp,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "outcome": self.outcome,
            "login": self.login,
            "request_headers": dict(self.request_headers),
            "response_headers": dict(self.response_headers),
        }
        if bodies:
            out["request_body"] = self.request_body.decode("utf-8", "replace")
            out["response_body"] = self.response_body.decode("utf-8", "replace")
        return out


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header values with credentials replaced; the auth scheme is kept so tests can see it."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[key] = f"{scheme} {REDACTED}".strip()
        else:
            out[key] = value
    return out


def redact_body(body: bytes, content_type: str) -> bytes:
    """A JSON or form body with secret fields blanked; other bodies are kept as they are."""
    if not body:
        return body
    if "json" in content_type or body[:1] in (b"{", b"["):
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # nesting deeper than the parser goes
            return body
        if isinstance(data, dict) and SECRET_FIELDS & data.keys():
            data = {k: (REDACTED if k in SECRET_FIELDS and v else v) for k, v in data.items()}
            return json.dumps(data).encode()
        return body
    if "multipart/" in content_type:
        # Batch requests embed whole HTTP requests, each with its own Authorization header.
        return _EMBEDDED_AUTH.sub(rb"\1 " + REDACTED.encode(), body)
    if "x-www-form-urlencoded" in content_type:
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        if any(k in SECRET_FIELDS for k, _ in pairs):
            return urlencode([(k, REDACTED if k in SECRET_FIELDS else v) for k, v in pairs]).encode()
    return body


@dataclass(frozen=True)
class Sighting:
    """A watched secret seen in a request outside its credential header: where, and on which call."""

    seq: int
    method: str
    path: str
    where: str


def secret_places(secret: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> list[str]:
    """Where `secret` appears in a request, the `Authorization` header (and a batch part's) excepted."""
    places = [name for name, text in (("path", path), ("query", query)) if secret in text]
    places += [f"header {k}" for k, v in headers.items() if k.lower() != "authorization" and secret in v]
    content_type = headers.get("content-type", "")
    # A batch body embeds whole requests, each with its own Authorization header: those are credentials.
    inspected = _EMBEDDED_AUTH.sub(b"", body) if "multipart/" in content_type else body
    if secret.encode() in inspected and not _is_refresh_grant(secret, body, content_type):
        places.append("body")
    return places


def _is_refresh_grant(secret: str, body: bytes, content_type: str) -> bool:
    """A token-endpoint refresh (RFC 6749 section 6) carrying `secret` only where credentials go.

    As a form, or as the JSON object a provider that documents only JSON (Notion) takes.
    """
    if "x-www-form-urlencoded" in content_type:
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    elif "json" in content_type:
        try:
            fields = json.loads(body)
        except ValueError:
            return False
        if not isinstance(fields, dict):
            return False
        pairs = [(str(k), v if isinstance(v, str) else json.dumps(v)) for k, v in fields.items()]
    else:
        return False
    holding = {k for k, v in pairs if secret in k or secret in v}
    return ("grant_type", "refresh_token") in pairs and holding <= {"refresh_token", "client_secret"}


def _matches(value: str, pattern: str | None) -> bool:
    return pattern is None or value == pattern or fnmatch.fnmatchcase(value, pattern)


class RequestLog:
    """Exchanges in arrival order; `path` filters accept exact paths or globs like `/repos/*/issues*`."""

    def __init__(self, maxlen: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[Exchange] = deque(maxlen=maxlen)
        self._seq = 0
        self._watched: dict[str, list[Sighting]] = {}

    def __repr__(self) -> str:
        return f"RequestLog({len(self._entries)} exchanges)"

    def __len__(self) -> int:
        return len(self._entries)

    def next_seq(self) -> int:
        """A sequence number for the next exchange."""
        with self._lock:
            self._seq += 1
            return self._seq

    def add(self, exchange: Exchange) -> None:
        """Append one exchange."""
        with self._lock:
            self._entries.append(exchange)

    def clear(self) -> None:
        """Forget every exchange (sightings of watched secrets are kept until `watch` starts afresh)."""
        with self._lock:
            self._entries.clear()

    def watch(self, secret: str) -> None:
        """Note from now on every request carrying `secret` anywhere but its credential header."""
        with self._lock:
            self._watched[secret] = []

    def sightings(self, secret: str) -> list[Sighting]:
        """Where the watched `secret` reached the service since `watch`, before any redaction."""
        with self._lock:
            return list(self._watched.get(secret, []))

    def spot(
        self, seq: int, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> None:
        """Check one raw request against the watched secrets (the recorded exchange is redacted)."""
        with self._lock:
            for secret, seen in self._watched.items():
                seen += [
                    Sighting(seq, method, path, w) for w in secret_places(secret, path, query, headers, body)
                ]

    @property
    def entries(self) -> list[Exchange]:
        """A snapshot of every exchange so far."""
        with self._lock:
            return list(self._entries)

    def find(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        outcome: Handling | None = None,
    ) -> list[Exchange]:
        """Exchanges matching every filter given."""
        want_method = method.upper() if method else None
        return [
            e
            for e in self.entries
            if (want_method is None or e.method == want_method)
            and _matches(e.path, path)
            and (status is None or e.status == status)
            and (outcome is None or e.outcome == outcome)
        ]

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        outcome: Handling | None = None,
    ) -> int:
        """How many exchanges match."""
        return len(self.find(method, path, status, outcome))

    def last(self, method: str | None = None, path: str | None = None) -> Exchange | None:
        """The latest matching exchange, if any."""
        found = self.find(method, path)
        return found[-1] if found else None

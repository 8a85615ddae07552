"""The notes service's sandbox: in memory, with tokens, scopes, faults and a request log.

The service lives in this process and is reached by its URL (`notes://N`), so the example needs no
network; a connector to a real service sends HTTP to a sandbox built on `charter.sandboxes` instead.
Charter's own tests build deliberately broken variants of the connector on it.
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from charter_notes.provider import READ_SCOPE, WRITE_SCOPE


class ConnectionDropped(Exception):
    """The connection closed before a response arrived."""


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Token:
    scopes: frozenset[str]
    refresh: str
    canary: str = ""
    expired: bool = False
    revoked: bool = False


@dataclass
class Faults:
    fail: list[int] = field(default_factory=list)
    drop: list[bool] = field(default_factory=list)
    rate_limit: float | None = None
    retry_not_before: float | None = None
    early_retries: int = 0

    def pending(self) -> int:
        return len(self.fail) + len(self.drop) + (self.rate_limit is not None)


def seed_notes() -> dict[int, dict[str, Any]]:
    return {
        n: {"number": n, "title": f"note {n}", "body": f"body of note {n}", "archived": False}
        for n in range(1, 26)
    }


class NotesService:
    """GET /notes?page=&per_page=, GET /notes/N, POST /notes, POST /notes/N/archive."""

    def __init__(self) -> None:
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, str] = {}
        # Every request as it arrived (the token aside), kept across resets: what a leak would reach.
        self.received: list[tuple[str, str, str]] = []
        self.reset()

    def reset(self) -> None:
        self.notes = seed_notes()
        self.faults = Faults()
        self.requests = 0
        self.tokens.clear()
        self.refresh_tokens.clear()

    # -- tokens ------------------------------------------------------------------------------

    def issue(self, scopes: frozenset[str], canary: str = "") -> tuple[str, str]:
        access, refresh = f"nat_{canary}{secrets.token_hex(8)}", f"nrt_{canary}{secrets.token_hex(8)}"
        self.tokens[access] = Token(scopes, refresh, canary)
        self.refresh_tokens[refresh] = access
        return access, refresh

    def refresh(self, refresh: str) -> tuple[str, str] | None:
        old = self.refresh_tokens.pop(refresh, None)
        if old is None or self.tokens[old].revoked:
            return None
        self.tokens[old].revoked = True
        return self.issue(self.tokens[old].scopes, self.tokens[old].canary)

    def expire_all(self) -> None:
        for token in self.tokens.values():
            token.expired = True

    def revoke_all(self) -> None:
        for token in self.tokens.values():
            token.revoked = True
        self.refresh_tokens.clear()

    # -- requests ----------------------------------------------------------------------------

    def request(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> Response:
        self.requests += 1
        self.received.append((method, path, json.dumps(body, default=str)))
        limited = self._rate_limit()
        if limited is not None:
            return limited
        mutating = method != "GET"
        if mutating and self.faults.fail:
            return Response(self.faults.fail.pop(0), {"message": "Server Error"})
        drop_after = self.faults.drop.pop(0) if mutating and self.faults.drop else None
        if drop_after is False:
            raise ConnectionDropped
        response = self._handle(method, path, token, body or {})
        if drop_after:
            raise ConnectionDropped
        return response

    def _rate_limit(self) -> Response | None:
        now = time.monotonic()
        if self.faults.retry_not_before is not None:
            if now < self.faults.retry_not_before:
                self.faults.early_retries += 1
            self.faults.retry_not_before = None
        if self.faults.rate_limit is None:
            return None
        wait, self.faults.rate_limit = self.faults.rate_limit, None
        self.faults.retry_not_before = now + wait
        return Response(429, {"message": "slow down"}, {"Retry-After": str(wait)})

    def _handle(self, method: str, path: str, token: str, body: dict[str, Any]) -> Response:
        held = self.tokens.get(token)
        if held is None or held.expired or held.revoked:
            return Response(401, {"message": "Bad credentials"})
        needed = WRITE_SCOPE if method != "GET" else READ_SCOPE
        if needed not in held.scopes:
            return Response(403, {"message": "Forbidden"}, {"X-Needed-Scope": needed})
        parts = path.strip("/").split("/")
        if method == "GET" and parts == ["notes"]:
            return self._list(body)
        if method == "POST" and parts == ["notes"]:
            return self._create(body)
        note = self.notes.get(int(parts[1])) if len(parts) > 1 and parts[1].isdigit() else None
        if note is None:
            return Response(404, {"message": "Not Found"})
        if method == "POST" and parts[2:] == ["archive"]:
            note["archived"] = True
        return Response(200, dict(note))

    def _list(self, query: dict[str, Any]) -> Response:
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 10))
        notes = [n for n in self.notes.values() if not n["archived"]]
        chunk = notes[(page - 1) * per_page : page * per_page]
        has_next = page * per_page < len(notes)
        return Response(200, [dict(n) for n in chunk], {"X-Next-Page": str(page + 1) if has_next else ""})

    def _create(self, body: dict[str, Any]) -> Response:
        if not str(body.get("title", "")).strip():
            return Response(422, {"message": "title is required"})
        number = max(self.notes, default=0) + 1
        self.notes[number] = {"number": number, "title": body["title"], "body": body.get("body", "")}
        self.notes[number]["archived"] = False
        return Response(201, dict(self.notes[number]))


_SERVING: dict[str, NotesService] = {}
_numbers = itertools.count(1)


def serve(service: NotesService) -> str:
    """Make `service` reachable by connectors; returns its URL."""
    url = f"notes://{next(_numbers)}"
    _SERVING[url] = service
    return url


def unserve(url: str) -> None:
    """The service at `url` is no longer reachable."""
    _SERVING.pop(url, None)


def service_at(url: str) -> NotesService:
    """The service serving `url`; a connection error when none does."""
    try:
        return _SERVING[url]
    except KeyError:
        raise ConnectionDropped(f"nothing serves {url!r}") from None

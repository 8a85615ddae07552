"""The path every Gmail and Calendar call takes: route by discovery document, authenticate, check the
method's scopes, charge quota, run the handler, answer in Google's format.

Plain HTTP requests and the parts of a batch request go through the same `dispatch`, so a part is
authenticated, scoped and charged exactly like the call it stands for.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.datastructures import QueryParams

from charter.sandboxes.framework import Reply
from charter.sandboxes.google import discovery
from charter.sandboxes.google.bodies import check_body
from charter.sandboxes.google.discovery import DiscoveryMethod
from charter.sandboxes.google.errors import GoogleError, bad_request, insufficient_scope, unauthenticated
from charter.sandboxes.tokens import AccessToken
from charter.schemas.types import JsonObject

if TYPE_CHECKING:
    from charter.sandboxes.google.sandbox import GoogleSandbox

JSON_TYPE = "application/json; charset=UTF-8"


@dataclass
class ApiResponse:
    """A handler's answer: JSON body (None for an empty 204), status and extra headers."""

    body: JsonObject | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """One API call as a handler sees it: the method, its arguments and the caller's token."""

    sandbox: GoogleSandbox
    method: DiscoveryMethod
    params: dict[str, str]
    query: QueryParams
    headers: Mapping[str, str]
    body: bytes
    token: AccessToken

    @property
    def email(self) -> str:
        """The account whose token made the call."""
        return self.token.login

    def has_scope(self, *names: str) -> bool:
        """Whether the token holds any of these scopes (short names are Google auth scopes)."""
        wanted = {n if n.startswith("https://") else f"https://www.googleapis.com/auth/{n}" for n in names}
        return bool(self.token.scopes & wanted)

    def json(self) -> JsonObject:
        """The request body as a JSON object; Google answers 400 `parseError` when it is not one."""
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except (ValueError, RecursionError):  # nesting deeper than the parser goes
            raise GoogleError(400, "Invalid JSON payload received.", reason="parseError") from None
        if not isinstance(data, dict):
            raise GoogleError(400, "Invalid JSON payload received.", reason="parseError")
        check_body(self.method, data)
        return data

    def arg(self, name: str, default: str | None = None) -> str | None:
        """A query parameter."""
        return self.query.get(name, default)

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter."""
        return self.query.getlist(name)

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean query parameter (`true` / `false`)."""
        raw = self.query.get(name)
        return default if raw is None else raw.lower() == "true"

    def page_size(self, default: int, maximum: int) -> int:
        """`maxResults`, capped at the API's maximum as Google does."""
        raw = self.query.get("maxResults")
        if raw is None:
            return default
        try:
            size = int(raw)
        except ValueError:
            raise bad_request(
                f"Invalid value '{raw}'. Values must match the following regular expression: '-?\\d+'"
            ) from None
        if size < 1:
            raise bad_request(f"Invalid value '{raw}'. Values must be within the range: [1, {maximum}]")
        return min(size, maximum)


GoogleHandler = Callable[[Call], ApiResponse]
HANDLERS: dict[str, GoogleHandler] = {}


def handles(method_id: str) -> Callable[[GoogleHandler], GoogleHandler]:
    """Register a handler for a discovery method; its path and scopes come from the document."""
    discovery.method(method_id)  # fails at import when the id is misspelt

    def register(handler: GoogleHandler) -> GoogleHandler:
        HANDLERS[method_id] = handler
        return handler

    return register


def bearer(headers: Mapping[str, str], query: QueryParams) -> str | None:
    """The access token a request carries, in the Authorization header or `access_token`."""
    scheme, _, value = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return query.get("access_token") or query.get("oauth_token")


def render(outcome: ApiResponse | GoogleError) -> Reply:
    """The HTTP answer for a handler's outcome."""
    headers = [("content-type", JSON_TYPE), ("vary", "Origin, X-Origin, Referer")]
    if isinstance(outcome, GoogleError):
        headers += list(outcome.headers.items())
        return Reply(outcome.code, headers, outcome.payload())
    headers += list(outcome.headers.items())
    if outcome.body is None:
        return Reply(outcome.status, [h for h in headers if h[0] != "content-type"], b"")
    return Reply(outcome.status, headers, json.dumps(outcome.body, ensure_ascii=False).encode())


def run(
    sandbox: GoogleSandbox,
    method: str,
    path: str,
    query: QueryParams,
    headers: Mapping[str, str],
    body: bytes,
) -> ApiResponse | GoogleError:
    """Route, authenticate, check scopes, charge quota and run the handler."""
    found = discovery.match(method, unquote(path))
    if found is None:
        return GoogleError(404, "Not Found", reason="notFound")
    spec, params = found
    handler = HANDLERS.get(spec.id)
    if handler is None:
        return GoogleError(501, f"The sandbox does not implement {spec.id}.", reason="notImplemented")
    value = bearer(headers, query)
    token = sandbox.tokens.lookup(value) if value else None
    if token is None:
        return unauthenticated(missing=value is None)
    if not token.scopes & set(spec.scopes):
        return insufficient_scope(spec.scopes)
    refused = sandbox.quota.charge(spec.id, token.login)
    if refused is not None:
        return refused
    call = Call(sandbox, spec, params, query, headers, body, token)
    with sandbox.lock:
        try:
            return handler(call)
        except GoogleError as exc:
            return exc


def dispatch(
    sandbox: GoogleSandbox, method: str, path: str, query_string: str, headers: Mapping[str, str], body: bytes
) -> Reply:
    """Answer one Gmail or Calendar call (a whole request or one part of a batch)."""
    return render(run(sandbox, method, path, QueryParams(query_string), headers, body))

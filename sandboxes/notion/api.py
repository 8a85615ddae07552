"""What every Notion endpoint shares: version header, bearer token, capabilities, rate and size limits.

An endpoint is a plain function `(ctx) -> JsonObject` wrapped by `endpoint(...)`, which checks the
request in Notion's order (version, token, body, capability, rate) and turns a raised
`NotionError` into Notion's error body.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from charter.sandboxes.clock import Clock
from charter.sandboxes.notion.errors import NotionError, invalid, not_found, request_id, restricted
from charter.sandboxes.notion.limits import check_body
from charter.sandboxes.notion.state import NotionState, normalize_id
from charter.sandboxes.tokens import AccessToken
from charter.schemas.types import JsonObject

if TYPE_CHECKING:
    from charter.sandboxes.notion.sandbox import NotionSandbox

NOTION_VERSION = "2025-09-03"
SUPPORTED_VERSIONS = frozenset({NOTION_VERSION})
MAX_BODY_BYTES = 500 * 1000
MAX_PAGE_SIZE = 100


class RateLimit:
    """Notion's average of 3 requests/s per connection, as a token bucket with a short burst."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.enabled = False
            self.per_second = 3.0
            self.burst = 3.0
            self.refused = 0
            self._buckets.clear()

    def admit(self, connection: str) -> int | None:
        """None when the request may go; else the Retry-After in whole seconds."""
        if not self.enabled:
            return None
        now = self.clock.now()
        with self._lock:
            level, at = self._buckets.get(connection, (self.burst, now))
            level = min(self.burst, level + (now - at) * self.per_second)
            if level >= 1.0:
                self._buckets[connection] = (level - 1.0, now)
                return None
            self._buckets[connection] = (level, now)
            self.refused += 1
            return max(1, math.ceil((1.0 - level) / self.per_second))


@dataclass
class Ctx:
    """One request as a handler sees it."""

    sandbox: NotionSandbox
    token: AccessToken
    path: dict[str, str]
    query: QueryParams
    body: JsonObject = field(default_factory=dict)

    @property
    def state(self) -> NotionState:
        return self.sandbox.state

    @property
    def user(self) -> str:
        return self.state.bot_id

    def need(self, capability: str) -> None:
        if capability not in self.token.scopes:
            raise restricted()

    def id_param(self, name: str) -> str:
        raw = self.path[name]
        found = normalize_id(raw)
        if found is None:
            shown = json.dumps(raw)
            raise invalid(
                f"path failed validation: path.{name} should be a valid uuid, instead was `{shown}`."
            )
        return found

    def visible(self, object_id: str, kind: str = "block") -> str:
        """`object_id` if it exists and is shared with the integration; Notion's 404 otherwise."""
        if not self.state.exists(object_id) or not self.state.is_shared(object_id):
            raise not_found(object_id, kind)
        return object_id

    def page_size(self, raw: object) -> int:
        if raw is None:
            return MAX_PAGE_SIZE
        try:
            size = int(str(raw))
        except ValueError:
            raise invalid(
                f"body failed validation: page_size should be a number, instead was `{raw}`."
            ) from None
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise invalid(f"body failed validation: page_size should be ≤ `100`, instead was `{size}`.")
        return size


NotionHandler = Callable[[Ctx], JsonObject]


def paginate(items: list[JsonObject], start_cursor: object, page_size: int, kind: str) -> JsonObject:
    """A Notion list: `results`, `next_cursor` (the next item's id) and `has_more`."""
    start = 0
    if start_cursor is not None:
        ids = [str(item["id"]) for item in items]
        if str(start_cursor) not in ids:
            raise invalid(f"start_cursor provided is invalid: {start_cursor}")
        start = ids.index(str(start_cursor))
    page = items[start : start + page_size]
    more = start + page_size < len(items)
    return {
        "object": "list",
        "results": page,
        "next_cursor": str(items[start + page_size]["id"]) if more else None,
        "has_more": more,
        "type": kind,
        kind: {},
        "request_id": request_id(),
    }


def _json(body: JsonObject, status: int = 200) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json; charset=utf-8")


def _parse_body(raw: bytes) -> JsonObject:
    if not raw.strip():
        return {}
    if len(raw) > MAX_BODY_BYTES:
        raise invalid(f"Request body too large: {len(raw)} bytes, the limit is {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(raw)
    except ValueError:
        raise NotionError("invalid_json", "Error parsing JSON body.") from None
    if not isinstance(data, dict):
        raise invalid("body failed validation: body should be an object.")
    return data


def _token(sandbox: NotionSandbox, request: Request) -> AccessToken:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    token = sandbox.tokens.lookup(value.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise NotionError("unauthorized", "API token is invalid.")
    return token


def endpoint(capability: str | None, handler: NotionHandler) -> Callable[[Request], Any]:
    """A Starlette endpoint running `handler` after Notion's checks, under the sandbox lock."""

    async def run(request: Request) -> Response:
        sandbox: NotionSandbox = request.app.state.sandbox
        raw = await request.body()
        try:
            version = request.headers.get("notion-version")
            if version is None:
                raise NotionError("missing_version", "Notion-Version header failed validation: is required.")
            if version not in SUPPORTED_VERSIONS:
                raise invalid(f"Notion-Version {version!r} is not supported; use {NOTION_VERSION}.")
            token = _token(sandbox, request)
            body = _parse_body(raw)
            check_body(body)
            ctx = Ctx(sandbox, token, dict(request.path_params), request.query_params, body)
            if capability is not None:
                ctx.need(capability)
            wait = sandbox.rate_limit.admit(token.family)
            if wait is not None:
                raise NotionError(
                    "rate_limited",
                    "You have been rated limited. Please try again in a few minutes.",
                    retry_after=wait,
                )
            with sandbox.lock:
                return _json(handler(ctx))
        except NotionError as exc:
            reply = exc.reply()
            return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))

    return run

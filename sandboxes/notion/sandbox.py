"""`NotionSandbox`: Notion's API v1 (version 2025-09-03) and its OAuth server on one loopback port."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from charter.sandboxes.clock import Clock
from charter.sandboxes.control import json_body
from charter.sandboxes.faults import FaultDecision, FaultRule
from charter.sandboxes.framework import Reply
from charter.sandboxes.framework import Sandbox as _Sandbox
from charter.sandboxes.notion import oauth, routes_data, routes_pages
from charter.sandboxes.notion.api import RateLimit
from charter.sandboxes.notion.errors import CODE_FOR_STATUS, NotionError
from charter.sandboxes.notion.oauth import NotionOAuth
from charter.sandboxes.notion.seed import build_state
from charter.sandboxes.notion.state import CAPABILITIES, NotionState, plain_title
from charter.sandboxes.tokens import TokenFormat
from charter.schemas.types import JsonObject as Seed

# OAuth access tokens live an hour here so refresh and rotation are exercised; internal ones never expire.
NOTION_TOKENS = TokenFormat(
    access_prefix="ntn_",
    access_length=46,
    refresh_prefix="nrt_",
    refresh_length=46,
    access_ttl=3600,
    refresh_ttl=None,
)


class NotionSandbox(_Sandbox):
    """Notion on 127.0.0.1: a seeded Acme workspace, OAuth, sharing, capabilities, limits and faults."""

    name = "notion"

    def __init__(self, *, clock: Clock | None = None, seed: Seed | None = None) -> None:
        super().__init__(clock=clock)
        self._seed = seed
        self.state: NotionState = build_state(self.clock, seed)
        self.rate_limit = RateLimit(self.clock)
        self.oauth = NotionOAuth(self)

    def token_format(self) -> TokenFormat:
        return NOTION_TOKENS

    def restore_seed(self) -> None:
        """Fresh workspace, default sharing and capabilities, rate limit off."""
        self.state = build_state(self.clock, self._seed)
        self.rate_limit.reset()
        self.oauth.reset()

    def service_app(self) -> ASGIApp:
        routes: list[BaseRoute] = [*routes_pages.ROUTES, *routes_data.ROUTES, *oauth.ROUTES]

        async def unknown(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            if status not in (404, 405):
                error = NotionError("internal_server_error", "Unexpected error.")
            else:
                error = NotionError("invalid_request_url", "Invalid request URL.")
            reply = error.reply()
            return Response(reply.body, status_code=reply.status, headers=dict(reply.headers))

        app = Starlette(routes=routes, exception_handlers={404: unknown, 405: unknown})
        app.state.sandbox = self
        return app

    def fault_reply(self, decision: FaultDecision, method: str, path: str) -> Reply:
        """Notion's bodies for injected rate limits and server errors."""
        if decision.kind == "rate_limit":
            return NotionError(
                "rate_limited",
                "You have been rated limited. Please try again in a few minutes.",
                retry_after=decision.retry_after,
            ).reply()
        if decision.status == 409:
            return NotionError(
                "conflict_error",
                "Conflict occurred while saving. Please try again.",
            ).reply()
        code = CODE_FOR_STATUS.get(decision.status, "internal_server_error")
        error = NotionError(code, "Notion encountered an unexpected error.")
        error.status = decision.status
        return error.reply()

    def collide_next(self, object_id: str, times: int = 1) -> None:
        """The next `times` edits of `object_id` (its properties, the block, its children) collide
        with a concurrent one: 409 `conflict_error`, nothing written, as Notion answers a transaction
        that met another on the same object."""
        self.faults.arm(FaultRule("fail", times, method="PATCH", path=f"/v1/*/{object_id}*", status=409))

    # -- inspection ----------------------------------------------------------------------------

    def content_text(self, parent_id: str) -> list[str]:
        """The plain text of every block under `parent_id`, depth first (trashed blocks left out)."""
        out: list[str] = []
        for block in self.state.visible_children(parent_id):
            texts = block.payload.get("rich_text") or []
            out.append("".join(t["plain_text"] for t in texts) or block.payload.get("title", ""))
            out.extend(self.content_text(block.id))
        return out

    def dump_state(self) -> dict[str, object]:
        """Pages with their content and comments, data sources with their rows, and what is shared."""
        state = self.state
        pages: dict[str, Any] = {}
        for page in state.pages.values():
            pages[page.id] = {
                "title": plain_title(page.properties),
                "parent": page.parent,
                "in_trash": page.in_trash,
                "content": self.content_text(page.id),
                "comments": [
                    "".join(t["plain_text"] for t in c.rich_text)
                    for c in state.comments
                    if c.parent.get("page_id") == page.id
                ],
            }
        sources = {
            s.id: {"title": s.title, "rows": [p.id for p in state.pages.values() if p.data_source_id == s.id]}
            for s in state.data_sources.values()
        }
        return {"pages": pages, "data_sources": sources, "shared": sorted(state.shared)}

    def control_routes(self) -> list[BaseRoute]:
        """`/_sandbox/notion/...`: sharing, capabilities, consent, tokens and the rate limit over HTTP."""
        return [
            Route("/notion/share", self._share_route, methods=["POST"]),
            Route("/notion/consent", self._consent_route, methods=["POST"]),
            Route("/notion/tokens", self._tokens_route, methods=["POST"]),
            Route("/notion/rate_limit", self._rate_route, methods=["POST"]),
        ]

    async def _share_route(self, request: Request) -> Response:
        body = await json_body(request)
        with self.lock:
            ids = body.get("shared")
            if isinstance(ids, list):
                self.state.shared = {str(i) for i in ids}
        return JSONResponse({"shared": sorted(self.state.shared)})

    async def _consent_route(self, request: Request) -> Response:
        body = await json_body(request)
        with self.lock:
            if body.get("deny"):
                self.oauth.deny_consent()
            else:
                self.oauth.auto_consent()
            share = body.get("share")
            self.oauth.share_on_consent({str(i) for i in share} if isinstance(share, list) else None)
            caps = body.get("capabilities")
            if isinstance(caps, list):
                self.oauth.capabilities = frozenset(str(c) for c in caps) & frozenset(CAPABILITIES)
        return JSONResponse({"ok": True})

    async def _tokens_route(self, request: Request) -> Response:
        body = await json_body(request)
        with self.lock:
            if body.get("internal"):
                return JSONResponse({"access_token": self.oauth.issue_internal_token()})
            issued = self.oauth.issue_token(str(body.get("login", "mona@acme.com")))
        return JSONResponse(
            {
                "access_token": issued.access_token,
                "refresh_token": issued.refresh_token,
                "expires_in": issued.expires_in,
            }
        )

    async def _rate_route(self, request: Request) -> Response:
        body = await json_body(request)
        with self.lock:
            self.rate_limit.enabled = bool(body.get("enabled", True))
            if "per_second" in body:
                self.rate_limit.per_second = float(str(body["per_second"]))
            if "burst" in body:
                self.rate_limit.burst = float(str(body["burst"]))
        return JSONResponse({"enabled": self.rate_limit.enabled, "refused": self.rate_limit.refused})

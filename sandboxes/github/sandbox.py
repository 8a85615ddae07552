"""`GitHubSandbox`: api.github.com's REST subset and github.com's OAuth server on one loopback port."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from charter.sandboxes.clock import Clock
from charter.sandboxes.control import json_body
from charter.sandboxes.faults import FaultDecision
from charter.sandboxes.framework import Reply, Sandbox
from charter.sandboxes.github import oauth_routes, rest_issues, rest_pulls, rest_repos
from charter.sandboxes.github.api import DOCS, RATE_DOCS, request_id
from charter.sandboxes.github.oauth import GitHubOAuth
from charter.sandboxes.github.ratelimit import RateLimits
from charter.sandboxes.github.seed import build_state
from charter.sandboxes.github.state import GitHubState
from charter.sandboxes.tokens import TokenFormat
from charter.schemas.types import JsonObject as Seed

# GitHub App user tokens: 8 hours; their refresh tokens: about six months.
GITHUB_TOKENS = TokenFormat(
    access_prefix="ghu_",
    access_length=36,
    refresh_prefix="ghr_",
    refresh_length=76,
    access_ttl=8 * 3600,
    refresh_ttl=15_811_200,
)


class GitHubSandbox(Sandbox):
    """GitHub on 127.0.0.1: seeded repos of `acme` and `mona`, OAuth server, faults and inspection."""

    name = "github"

    def __init__(self, *, clock: Clock | None = None, seed: Seed | None = None) -> None:
        super().__init__(clock=clock)
        self._seed = seed
        self.state: GitHubState = build_state(self.clock, seed)
        self.rate_limits = RateLimits(self.clock)
        self.oauth = GitHubOAuth(self)

    def token_format(self) -> TokenFormat:
        """`ghu_…` access tokens and `ghr_…` refresh tokens, as GitHub Apps issue them."""
        return GITHUB_TOKENS

    def restore_seed(self) -> None:
        """Fresh seed data, full rate-limit budgets and default OAuth settings."""
        self.state = build_state(self.clock, self._seed)
        self.rate_limits.reset()
        self.oauth.reset()

    def service_app(self) -> ASGIApp:
        """The REST API, GraphQL and OAuth routes."""
        routes: list[BaseRoute] = [
            *rest_repos.ROUTES,
            *rest_issues.ROUTES,
            *rest_pulls.ROUTES,
            *oauth_routes.ROUTES,
        ]

        async def not_found(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            body = {"message": "Not Found", "documentation_url": DOCS, "status": str(status)}
            return JSONResponse(body, status_code=404 if status == 405 else status)

        app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
        app.state.sandbox = self
        return app

    def fault_reply(self, decision: FaultDecision, method: str, path: str) -> Reply:
        """GitHub's shapes for injected 429/403 rate limits and 5xx errors."""
        now = int(self.clock.now())
        headers = [
            ("content-type", "application/json; charset=utf-8"),
            ("x-github-request-id", request_id()),
            ("x-github-media-type", "github.v3; format=json"),
        ]
        if decision.kind == "rate_limit":
            headers += [
                ("retry-after", str(decision.retry_after)),
                ("x-ratelimit-limit", "5000"),
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-used", "5000"),
                ("x-ratelimit-reset", str(now + decision.retry_after)),
                ("x-ratelimit-resource", "core"),
            ]
            message = (
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            )
            body: dict[str, Any] = {"message": message, "documentation_url": RATE_DOCS}
        else:
            body = (
                {"message": "Server Error"} if decision.status != 503 else {"message": "Service Unavailable"}
            )
        body["status"] = str(decision.status)
        return Reply(decision.status, headers, json.dumps(body).encode())

    def dump_state(self) -> dict[str, object]:
        """Repositories with their issues, comments, pull requests and branches, as JSON."""
        out: dict[str, object] = {}
        for key, repo in sorted(self.state.repos.items()):
            out[key] = {
                "issues": [
                    {
                        "number": i.number,
                        "title": i.title,
                        "state": i.state,
                        "labels": i.labels,
                        "pull_request": None
                        if i.pull is None
                        else {
                            "head": i.pull.head_ref,
                            "base": i.pull.base_ref,
                            "draft": i.pull.draft,
                            "merged": i.pull.merged,
                        },
                        "comments": [
                            {"id": c.id, "user": c.user, "body": c.body} for c in repo.comments_on(i.number)
                        ],
                    }
                    for i in sorted(repo.issues.values(), key=lambda i: i.number)
                ],
                "branches": dict(repo.git.branches),
            }
        return {"repos": out, "users": sorted(self.state.users)}

    def control_routes(self) -> list[BaseRoute]:
        """`/_sandbox/oauth/...`: consent, device approval and test tokens over HTTP."""
        return [
            Route("/oauth/consent", self._consent_route, methods=["POST"]),
            Route("/oauth/device", self._device_route, methods=["GET", "POST"]),
            Route("/oauth/tokens", self._tokens_route, methods=["POST"]),
        ]

    async def _consent_route(self, request: Request) -> Response:
        body = await json_body(request)
        with self.lock:
            if body.get("deny"):
                self.oauth.deny_consent()
            elif isinstance(only := body.get("grant_only"), list):
                self.oauth.grant_only({str(s) for s in only})
            else:
                self.oauth.auto_consent()
            if isinstance(body.get("login"), str):
                self.oauth.sign_in_as(str(body["login"]))
        return JSONResponse({"ok": True})

    async def _device_route(self, request: Request) -> Response:
        if request.method == "POST":
            body = await json_body(request)
            with self.lock:
                try:
                    if body.get("approve", True):
                        self.oauth.approve_device(str(body.get("user_code", "")))
                    else:
                        self.oauth.deny_device(str(body.get("user_code", "")))
                except KeyError as exc:
                    return JSONResponse({"message": str(exc)}, status_code=404)
        return JSONResponse({"pending": self.oauth.pending_user_codes()})

    async def _tokens_route(self, request: Request) -> Response:
        body = await json_body(request)
        scopes = body.get("scopes", ["repo"])
        expires = body.get("expires_in", -1)
        with self.lock:
            issued = self.oauth.issue_token(
                str(body.get("login", "mona")),
                [str(s) for s in scopes] if isinstance(scopes, list) else ["repo"],
                expires_in=None if expires is None else int(str(expires)),
            )
        return JSONResponse(
            {
                "access_token": issued.access_token,
                "refresh_token": issued.refresh_token,
                "expires_in": issued.expires_in,
                "scope": ",".join(sorted(issued.scopes)),
            }
        )

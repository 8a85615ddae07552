"""`/_sandbox/` routes of the Google sandbox: consent knobs, test tokens, quota and history knobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from charter.sandboxes.control import json_body

if TYPE_CHECKING:
    from charter.sandboxes.google.sandbox import GoogleSandbox


class GoogleControl:
    """Handlers of the Google sandbox's `/_sandbox/` knobs, bound to one sandbox."""

    def __init__(self, sandbox: GoogleSandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[BaseRoute]:
        """Routes mounted under `/_sandbox/`."""
        return [
            Route("/oauth/consent", self.consent, methods=["POST"]),
            Route("/oauth/tokens", self.tokens, methods=["POST"]),
            Route("/quota", self.quota, methods=["GET", "POST"]),
            Route("/gmail/truncate-history", self.truncate_history, methods=["POST"]),
            Route("/calendar/expire-sync-tokens", self.expire_sync_tokens, methods=["POST"]),
        ]

    async def consent(self, request: Request) -> Response:
        """How the simulated person answers consent: `{"deny": true}`, `{"grant_only": [...]}`, `{}`."""
        body = await json_body(request)
        oauth = self.sandbox.oauth
        with self.sandbox.lock:
            if body.get("deny"):
                oauth.deny_consent()
            elif isinstance(only := body.get("grant_only"), list):
                oauth.grant_only([str(s) for s in only])
            else:
                oauth.auto_consent()
            if isinstance(body.get("email"), str):
                oauth.sign_in_as(str(body["email"]))
        return JSONResponse({"ok": True})

    async def tokens(self, request: Request) -> Response:
        """Tokens without consent: `{"email", "scopes": [...], "expires_in"}`."""
        body = await json_body(request)
        scopes = body.get("scopes", ["gmail.readonly"])
        expires = body.get("expires_in", -1)
        with self.sandbox.lock:
            try:
                access, refresh = self.sandbox.oauth.issue_token(
                    str(body.get("email", "mona@acme.com")),
                    [str(s) for s in scopes] if isinstance(scopes, list) else [],
                    expires_in=None if expires is None else int(str(expires)),
                )
            except (KeyError, ValueError) as exc:
                return JSONResponse({"message": str(exc)}, status_code=400)
        return JSONResponse({"access_token": access, "refresh_token": refresh})

    async def quota(self, request: Request) -> Response:
        """Read or set the quota knobs; `{"exhaust": "gmail"}` refuses the next second of calls."""
        q = self.sandbox.quota
        if request.method == "POST":
            body = await json_body(request)
            if "enabled" in body:
                q.enabled = bool(body["enabled"])
            if "gmail_units_per_second" in body:
                q.gmail_units_per_second = int(str(body["gmail_units_per_second"]))
            if "calendar_per_minute" in body:
                q.calendar_per_minute = int(str(body["calendar_per_minute"]))
            style, api = body.get("style"), body.get("exhaust")
            if style == "429" or style == "403 userRateLimitExceeded" or style == "403 rateLimitExceeded":
                q.style = style
            if api == "gmail" or api == "calendar":
                q.exhaust(api)
        status = {
            "enabled": q.enabled,
            "gmail_units_per_second": q.gmail_units_per_second,
            "calendar_per_minute": q.calendar_per_minute,
            "style": q.style,
        }
        return JSONResponse({**status, "units_spent": q.units_spent, "refused": q.refused})

    async def truncate_history(self, request: Request) -> Response:
        """Gmail forgets its history so far (older startHistoryIds get 404)."""
        with self.sandbox.lock:
            self.sandbox.state.gmail.truncate_history()
        return JSONResponse({"oldestHistoryId": self.sandbox.state.gmail.oldest_history_id})

    async def expire_sync_tokens(self, request: Request) -> Response:
        """Every Calendar sync token so far stops working (410 Gone)."""
        with self.sandbox.lock:
            self.sandbox.state.calendar.expire_sync_tokens()
        return JSONResponse({"ok": True})

"""`/_sandbox/` routes of the Google sandbox: consent knobs, test tokens, quota and history knobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from charter.sandboxes.control import json_body

if TYPE_CHECKING:
    from charter.sandboxes.google.sandbox import GoogleSandbox


def control_routes(sandbox: GoogleSandbox) -> list[BaseRoute]:
    """Routes mounted under `/_sandbox/`."""

    async def consent(request: Request) -> Response:
        body = await json_body(request)
        with sandbox.lock:
            if body.get("deny"):
                sandbox.oauth.deny_consent()
            elif isinstance(only := body.get("grant_only"), list):
                sandbox.oauth.grant_only([str(s) for s in only])
            else:
                sandbox.oauth.auto_consent()
            if isinstance(body.get("email"), str):
                sandbox.oauth.sign_in_as(str(body["email"]))
        return JSONResponse({"ok": True})

    async def tokens(request: Request) -> Response:
        body = await json_body(request)
        scopes = body.get("scopes", ["gmail.readonly"])
        expires = body.get("expires_in", -1)
        with sandbox.lock:
            try:
                access, refresh = sandbox.oauth.issue_token(
                    str(body.get("email", "mona@acme.com")),
                    [str(s) for s in scopes] if isinstance(scopes, list) else [],
                    expires_in=None if expires is None else int(str(expires)),
                )
            except (KeyError, ValueError) as exc:
                return JSONResponse({"message": str(exc)}, status_code=400)
        return JSONResponse({"access_token": access, "refresh_token": refresh})

    async def quota(request: Request) -> Response:
        q = sandbox.quota
        if request.method == "POST":
            body = await json_body(request)
            if "enabled" in body:
                q.enabled = bool(body["enabled"])
            if "gmail_units_per_second" in body:
                q.gmail_units_per_second = int(str(body["gmail_units_per_second"]))
            if "calendar_per_minute" in body:
                q.calendar_per_minute = int(str(body["calendar_per_minute"]))
            if body.get("style") in ("429", "403 userRateLimitExceeded", "403 rateLimitExceeded"):
                q.style = body["style"]  # type: ignore[assignment]
            if body.get("exhaust") in ("gmail", "calendar"):
                q.exhaust(body["exhaust"])  # type: ignore[arg-type]
        return JSONResponse(
            {
                "enabled": q.enabled,
                "gmail_units_per_second": q.gmail_units_per_second,
                "calendar_per_minute": q.calendar_per_minute,
                "style": q.style,
                "units_spent": q.units_spent,
                "refused": q.refused,
            }
        )

    async def truncate_history(request: Request) -> Response:
        with sandbox.lock:
            sandbox.state.gmail.truncate_history()
        return JSONResponse({"oldestHistoryId": sandbox.state.gmail.oldest_history_id})

    async def expire_sync_tokens(request: Request) -> Response:
        with sandbox.lock:
            sandbox.state.calendar.expire_sync_tokens()
        return JSONResponse({"ok": True})

    return [
        Route("/oauth/consent", consent, methods=["POST"]),
        Route("/oauth/tokens", tokens, methods=["POST"]),
        Route("/quota", quota, methods=["GET", "POST"]),
        Route("/gmail/truncate-history", truncate_history, methods=["POST"]),
        Route("/calendar/expire-sync-tokens", expire_sync_tokens, methods=["POST"]),
    ]

"""Notion's OAuth server on the sandbox: authorize (owner=user), token, refresh, revoke, introspect.

As at Notion, the client authenticates to the token, revoke and introspect endpoints with HTTP
Basic only, the token endpoint takes JSON, each refresh rotates the pair (the old refresh token
stops working), and there are no scopes: an integration's capabilities are set in its settings
(`capabilities` here) and the person chooses, on the consent screen, which pages it may see.
Internal-integration tokens (`issue_internal_token`) never expire and have no refresh token.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter.sandboxes.notion.errors import request_id
from charter.sandboxes.notion.state import CAPABILITIES
from charter.sandboxes.oauth import (
    Consent,
    ConsentKnobs,
    html_page,
    is_loopback_redirect,
    redirect_with,
    request_params,
)
from charter.sandboxes.tokens import IssuedTokens, RefreshRejected

if TYPE_CHECKING:
    from charter.sandboxes.notion.sandbox import NotionSandbox

DEFAULT_CLIENT_ID = "charter-notion-sandbox"
DEFAULT_CLIENT_SECRET = "charter-notion-sandbox-secret"
INTERNAL_LOGIN = "workspace"


@dataclass
class NotionConsent(Consent):
    """The person signed in (`login`, an email) and the pages they pick (None: every top page)."""

    login: str = "mona@acme.com"
    share: frozenset[str] | None = None


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    login: str
    share: frozenset[str]
    expires_at: float
    used: bool = False


class NotionOAuth(ConsentKnobs):
    """Clients, their capabilities, codes and consent knobs of the sandbox's OAuth server."""

    consent: NotionConsent

    def __init__(self, sandbox: NotionSandbox) -> None:
        super().__init__(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        self.sandbox = sandbox
        self.codes: dict[str, AuthorizationCode] = {}
        self.capabilities: frozenset[str] = frozenset(CAPABILITIES)
        self.consent = NotionConsent()
        self.reset()

    def reset(self) -> None:
        self.reset_clients()
        self.codes.clear()
        self.capabilities = frozenset(CAPABILITIES)
        self.consent = NotionConsent()

    def share_on_consent(self, object_ids: set[str] | frozenset[str] | None) -> None:
        """The pages the person picks on the next consent screens (None: every top-level page)."""
        self.consent.share = None if object_ids is None else frozenset(object_ids)

    def issue_token(self, login: str = "mona@acme.com", *, expires_in: int | None = -1) -> IssuedTokens:
        """An OAuth pair for `login` with the integration's capabilities, without running consent."""
        return self.sandbox.tokens.issue(login, self.capabilities, DEFAULT_CLIENT_ID, expires_in=expires_in)

    def issue_internal_token(self, capabilities: frozenset[str] | None = None) -> str:
        """An internal integration's secret: it never expires and cannot be refreshed."""
        caps = self.capabilities if capabilities is None else capabilities
        issued = self.sandbox.tokens.issue(INTERNAL_LOGIN, caps, "internal", expires_in=None, refresh=False)
        return issued.access_token


def _sandbox(request: Request) -> NotionSandbox:
    sandbox: NotionSandbox = request.app.state.sandbox
    return sandbox


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    body = {"error": error, "error_description": description, "request_id": request_id()}
    return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})


def _basic_client(request: Request, oauth: NotionOAuth) -> str | None:
    """The client id if the request authenticated with HTTP Basic and the right secret."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    client = oauth.clients.get(client_id)
    if client is None or client.client_secret is None:
        return None
    return client_id if hmac.compare_digest(secret.encode(), client.client_secret.encode()) else None


async def authorize(request: Request) -> Response:
    """GET /v1/oauth/authorize: the consent screen, answered at once by the simulated person."""
    oauth = _sandbox(request).oauth
    q = request.query_params
    client = oauth.clients.get(q.get("client_id", ""))
    if client is None:
        return html_page("Invalid client", "No integration is registered with this client_id.", 400)
    redirect_uri = q.get("redirect_uri", "")
    if not (redirect_uri in client.redirect_uris or is_loopback_redirect(redirect_uri)):
        return html_page("Invalid redirect_uri", "redirect_uri is not registered for this integration.", 400)
    if q.get("response_type") != "code" or q.get("owner") != "user":
        return html_page("Invalid request", "Notion needs response_type=code and owner=user.", 400)
    extra = {"state": q["state"]} if "state" in q else {}
    sandbox = _sandbox(request)
    with sandbox.lock:
        if oauth.consent.deny:
            return redirect_with(redirect_uri, {"error": "access_denied", **extra})
        share = oauth.consent.share
        if share is None:
            share = frozenset(
                p.id for p in sandbox.state.pages.values() if p.parent.get("type") == "workspace"
            )
        code = secrets.token_urlsafe(24)
        oauth.codes[code] = AuthorizationCode(
            client.client_id, redirect_uri, oauth.consent.login, share, sandbox.clock.now() + oauth.code_ttl
        )
    return redirect_with(redirect_uri, {"code": code, **extra})


def _token_answer(sandbox: NotionSandbox, issued: IssuedTokens) -> Response:
    state = sandbox.state
    user = state.users.get(issued.login)
    owner: dict[str, Any] = {"type": "workspace", "workspace": True}
    if user is not None:
        person = {"object": "user", "id": user.id, "name": user.name, "type": "person"}
        owner = {"type": "user", "user": {**person, "person": {"email": user.email}}}
    body: dict[str, Any] = {
        "access_token": issued.access_token,
        "token_type": "bearer",
        "refresh_token": issued.refresh_token,
        "bot_id": state.bot_id,
        "workspace_id": state.workspace_id,
        "workspace_name": state.workspace_name,
        "workspace_icon": None,
        "owner": owner,
        "duplicated_template_id": None,
        "request_id": request_id(),
    }
    if issued.expires_in is not None:
        body["expires_in"] = issued.expires_in
    return JSONResponse(body, headers={"cache-control": "no-store", "pragma": "no-cache"})


async def token(request: Request) -> Response:
    """POST /v1/oauth/token: an authorization code or a refresh token for a new pair."""
    sandbox = _sandbox(request)
    oauth = sandbox.oauth
    client_id = _basic_client(request, oauth)
    if client_id is None:
        return _oauth_error("invalid_client", "Client authentication failed; use HTTP Basic.", 401)
    params = await request_params(request)
    grant = params.get("grant_type")
    with sandbox.lock:
        if grant == "authorization_code":
            code = oauth.codes.get(params.get("code", ""))
            if code is None or code.used or code.client_id != client_id:
                return _oauth_error("invalid_grant", "Invalid code.")
            if code.expires_at <= sandbox.clock.now():
                return _oauth_error("invalid_grant", "The code expired.")
            if params.get("redirect_uri") != code.redirect_uri:
                return _oauth_error("invalid_grant", "redirect_uri does not match the authorization request.")
            code.used = True
            sandbox.state.shared |= code.share
            issued = sandbox.tokens.issue(code.login, oauth.capabilities, client_id)
        elif grant == "refresh_token":
            try:
                issued = sandbox.tokens.rotate(params.get("refresh_token", ""), client_id)
            except RefreshRejected as exc:
                return _oauth_error("invalid_grant", f"Invalid refresh token: {exc.reason}.")
        else:
            return _oauth_error("unsupported_grant_type", f"grant_type {grant!r} is not supported.")
    return _token_answer(sandbox, issued)


async def revoke(request: Request) -> Response:
    """POST /v1/oauth/revoke: end a token and every token issued with it."""
    sandbox = _sandbox(request)
    if _basic_client(request, sandbox.oauth) is None:
        return _oauth_error("invalid_client", "Client authentication failed; use HTTP Basic.", 401)
    params = await request_params(request)
    value = params.get("token", "")
    with sandbox.lock:
        if not (sandbox.tokens.revoke(value) or sandbox.tokens.revoke_grant(value)):
            return _oauth_error("invalid_grant", "Unknown token.")
    return JSONResponse({"request_id": request_id()})


async def introspect(request: Request) -> Response:
    """POST /v1/oauth/introspect: whether a token is active (RFC 7662 style)."""
    sandbox = _sandbox(request)
    if _basic_client(request, sandbox.oauth) is None:
        return _oauth_error("invalid_client", "Client authentication failed; use HTTP Basic.", 401)
    params = await request_params(request)
    found = sandbox.tokens.lookup(params.get("token", ""))
    if found is None:
        return JSONResponse({"active": False, "request_id": request_id()})
    return JSONResponse(
        {
            "active": True,
            "scope": " ".join(sorted(found.scopes)),
            "iat": int(sandbox.clock.now()),
            "request_id": request_id(),
        }
    )


ROUTES = [
    Route("/v1/oauth/authorize", authorize, methods=["GET"]),
    Route("/v1/oauth/token", token, methods=["POST"]),
    Route("/v1/oauth/revoke", revoke, methods=["POST"]),
    Route("/v1/oauth/introspect", introspect, methods=["POST"]),
]

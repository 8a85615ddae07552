"""HTTP routes of the Google OAuth server: authorize, token, revoke, userinfo and tokeninfo."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter.sandboxes.google.oauth import AuthorizationCode, GoogleOAuth, normalise_scopes
from charter.sandboxes.oauth import (
    LOOPBACK_HOSTS,
    OAuthClient,
    authenticate_client,
    html_page,
    is_loopback_redirect,
    pkce_refusal,
    redirect_with,
    request_params,
    s256,
)
from charter.sandboxes.tokens import AccessToken, IssuedTokens, RefreshRejected

if TYPE_CHECKING:
    from charter.sandboxes.google.sandbox import GoogleSandbox

EXPIRED_OR_REVOKED = "Token has been expired or revoked."
NO_STORE = {"cache-control": "no-cache, no-store, max-age=0, must-revalidate", "pragma": "no-cache"}


def _sandbox(request: Request) -> GoogleSandbox:
    sandbox: GoogleSandbox = request.app.state.sandbox
    return sandbox


def _error(error: str, description: str, status: int = 400) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status, headers=NO_STORE)


def _redirect_ok(client: OAuthClient, uri: str) -> bool:
    # Google also accepts `localhost`, and a loopback redirect without a port.
    hosts = (*LOOPBACK_HOSTS, "localhost")
    return uri in client.redirect_uris or is_loopback_redirect(uri, hosts=hosts, port_required=False)


async def authorize(request: Request) -> Response:
    """GET /o/oauth2/v2/auth: the consent screen, answered at once by the simulated person."""
    sandbox = _sandbox(request)
    oauth = sandbox.oauth
    q = request.query_params
    client = oauth.clients.get(q.get("client_id", ""))
    if client is None:
        return html_page("Error 401: invalid_client", "The OAuth client was not found.", 401)
    redirect_uri = q.get("redirect_uri", "")
    if not redirect_uri or not _redirect_ok(client, redirect_uri):
        return html_page("Error 400: redirect_uri_mismatch", "redirect_uri must be a loopback address.", 400)
    scopes, unknown = normalise_scopes(q.get("scope"))
    if unknown or not scopes:
        return html_page("Error 400: invalid_scope", f"Some requested scopes were invalid: {unknown}.", 400)
    extra = {"state": q["state"]} if "state" in q else {}
    if q.get("response_type") != "code":
        return redirect_with(redirect_uri, {"error": "unsupported_response_type", **extra})
    refusal = pkce_refusal(q)
    if refusal is not None:
        return redirect_with(redirect_uri, {**refusal, **extra})
    with sandbox.lock:
        if oauth.consent.deny:
            return redirect_with(redirect_uri, {"error": "access_denied", **extra})
        granted = _grant(oauth, client.client_id, scopes, q.get("include_granted_scopes") == "true")
        code = "4/0" + secrets.token_urlsafe(40)
        oauth.codes[code] = AuthorizationCode(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=granted,
            email=oauth.consent.email,
            challenge=q["code_challenge"],
            expires_at=sandbox.clock.now() + oauth.code_ttl,
            offline=q.get("access_type") == "offline",
            force_refresh="consent" in q.get("prompt", "").split(),
        )
    params = {**extra, "code": code, "scope": " ".join(sorted(granted)), "authuser": "0", "prompt": "consent"}
    return redirect_with(redirect_uri, params)


def _grant(
    oauth: GoogleOAuth, client_id: str, asked: frozenset[str], include_granted: bool
) -> frozenset[str]:
    key = (client_id, oauth.consent.email)
    granted = oauth.granted_scopes(asked)
    total = oauth.granted.get(key, frozenset()) | granted
    oauth.granted[key] = total
    return total if include_granted else granted


def _id_token(email: str, client_id: str, now: float) -> str:
    # Unsigned: the sandbox has no Google signing keys; clients that verify signatures must not use it.
    header = {"alg": "none", "typ": "JWT"}
    claims = {
        "iss": "https://accounts.google.com",
        "aud": client_id,
        "azp": client_id,
        "sub": _subject(email),
        "email": email,
        "email_verified": True,
        "iat": int(now),
        "exp": int(now) + 3599,
    }
    parts = [base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode() for p in (header, claims)]
    return ".".join([*parts, ""])


def _subject(email: str) -> str:
    return str(int(hashlib.sha256(email.encode()).hexdigest()[:16], 16))[:21]


def _token_body(sandbox: GoogleSandbox, issued: IssuedTokens, client_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"access_token": issued.access_token, "expires_in": issued.expires_in}
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
        if issued.refresh_token_expires_in is not None:
            body["refresh_token_expires_in"] = issued.refresh_token_expires_in
    body["scope"] = " ".join(sorted(issued.scopes))
    body["token_type"] = "Bearer"
    if "openid" in issued.scopes:
        body["id_token"] = _id_token(issued.login, client_id, sandbox.clock.now())
    return body


async def token(request: Request) -> Response:
    """POST /token: the `authorization_code` and `refresh_token` grants."""
    sandbox = _sandbox(request)
    params = await request_params(request)
    grant = params.get("grant_type", "")
    if grant not in ("authorization_code", "refresh_token"):
        return _error("unsupported_grant_type", f"Invalid grant_type: {grant}")
    with sandbox.lock:
        client = authenticate_client(sandbox.oauth.clients, params)
        if client is None:
            return _error("invalid_client", "Unauthorized", 401)
        if grant == "authorization_code":
            return _code_grant(sandbox, client, params)
        return _refresh_grant(sandbox, client, params)


def _code_grant(sandbox: GoogleSandbox, client: OAuthClient, params: dict[str, str]) -> Response:
    oauth = sandbox.oauth
    code = oauth.codes.get(params.get("code", ""))
    if code is None or code.client_id != client.client_id:
        return _error("invalid_grant", "Malformed auth code.")
    if code.used or sandbox.clock.now() >= code.expires_at:
        return _error("invalid_grant", "Bad Request")
    if params.get("redirect_uri") != code.redirect_uri:
        return _error("redirect_uri_mismatch", "Bad Request")
    verifier = params.get("code_verifier", "")
    if not verifier:
        return _error("invalid_grant", "Missing code verifier.")
    if s256(verifier) != code.challenge:
        return _error("invalid_grant", "Invalid code verifier.")
    code.used = True
    key = (client.client_id, code.email)
    # Google hands out a refresh token on the first offline consent only, unless prompt=consent.
    refresh = code.offline and (key not in oauth.offline_granted or code.force_refresh)
    if refresh:
        oauth.offline_granted.add(key)
    issued = sandbox.tokens.issue(code.email, code.scopes, client.client_id, refresh=refresh)
    return JSONResponse(_token_body(sandbox, issued, client.client_id), headers=NO_STORE)


def _refresh_grant(sandbox: GoogleSandbox, client: OAuthClient, params: dict[str, str]) -> Response:
    try:
        issued = sandbox.tokens.rotate(
            params.get("refresh_token", ""), client.client_id, keep=not sandbox.oauth.rotate_refresh_tokens
        )
    except RefreshRejected:
        return _error("invalid_grant", EXPIRED_OR_REVOKED)
    return JSONResponse(_token_body(sandbox, issued, client.client_id), headers=NO_STORE)


async def revoke(request: Request) -> Response:
    """POST /revoke?token=…: the app gives up its whole grant (access and refresh tokens)."""
    sandbox = _sandbox(request)
    params = await request_params(request)
    with sandbox.lock:
        value = params.get("token", "")
        held = sandbox.tokens.lookup(value) or sandbox.tokens.lookup_refresh(value)
        if held is None or held.revoked or not sandbox.tokens.revoke_grant(value):
            return _error("invalid_token", "Token expired or revoked")
        sandbox.oauth.granted.pop((held.client_id, held.login), None)
        sandbox.oauth.offline_granted.discard((held.client_id, held.login))
    return JSONResponse({}, headers=NO_STORE)


def _bearer_token(sandbox: GoogleSandbox, request: Request) -> AccessToken | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        value = request.query_params.get("access_token", "")
    return sandbox.tokens.lookup(value.strip()) if value.strip() else None


async def userinfo(request: Request) -> Response:
    """GET /oauth2/v3/userinfo: who the token belongs to (the email needs the email scope)."""
    sandbox = _sandbox(request)
    held = _bearer_token(sandbox, request)
    if held is None:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "Invalid Credentials"},
            401,
            headers={
                "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            },
        )
    body: dict[str, Any] = {"sub": _subject(held.login)}
    if held.scopes & {"https://www.googleapis.com/auth/userinfo.profile"}:
        name = sandbox.state.accounts.get(held.login, "")
        first, _, last = name.partition(" ")
        body |= {"name": name, "given_name": first, "family_name": last}
    if held.scopes & {"https://www.googleapis.com/auth/userinfo.email"}:
        body |= {"email": held.login, "email_verified": True, "hd": held.login.rpartition("@")[2]}
    return JSONResponse(body)


async def tokeninfo(request: Request) -> Response:
    """GET /oauth2/v3/tokeninfo?access_token=…: the scopes and lifetime of an access token."""
    sandbox = _sandbox(request)
    value = request.query_params.get("access_token", "")
    held = sandbox.tokens.lookup(value) if value else None
    if held is None:
        return JSONResponse({"error": "invalid_token", "error_description": "Invalid Value"}, 400)
    left = 0 if held.expires_at is None else max(0, int(held.expires_at - sandbox.clock.now()))
    return JSONResponse(
        {
            "azp": held.client_id,
            "aud": held.client_id,
            "sub": _subject(held.login),
            "scope": " ".join(sorted(held.scopes)),
            "exp": str(int(sandbox.clock.now()) + left),
            "expires_in": str(left),
            "email": held.login,
            "email_verified": "true",
            "access_type": "offline",
        }
    )


ROUTES = [
    Route("/o/oauth2/v2/auth", authorize, methods=["GET"]),
    Route("/o/oauth2/auth", authorize, methods=["GET"]),
    Route("/token", token, methods=["POST"]),
    Route("/o/oauth2/token", token, methods=["POST"]),
    Route("/revoke", revoke, methods=["POST", "GET"]),
    Route("/o/oauth2/revoke", revoke, methods=["POST", "GET"]),
    Route("/oauth2/v3/userinfo", userinfo, methods=["GET", "POST"]),
    Route("/oauth2/v3/tokeninfo", tokeninfo, methods=["GET", "POST"]),
]

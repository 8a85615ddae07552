"""HTTP routes of the sandbox's OAuth server (state and knobs live in `oauth.py`)."""

from __future__ import annotations

import base64
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter.sandboxes.github.api import (
    ApiError,
    ApiResponse,
    Ctx,
    endpoint,
    not_found,
    request_id,
    validation_failed,
)
from charter.sandboxes.github.oauth import AuthorizationCode, DeviceGrant, parse_scope_param
from charter.sandboxes.oauth import (
    OAuthClient,
    authenticate_client,
    device_code_form,
    html_page,
    is_loopback_redirect,
    pkce_refusal,
    redirect_with,
    request_params,
    s256,
)
from charter.sandboxes.tokens import IssuedTokens, RefreshRejected

if TYPE_CHECKING:
    from charter.sandboxes.github.sandbox import GitHubSandbox

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ERROR_URI = (
    "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
)
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


def _headers() -> dict[str, str]:
    return {"x-github-request-id": request_id()}


def _redirect(uri: str, params: dict[str, str]) -> Response:
    return redirect_with(uri, params, _headers())


def _page(title: str, text: str, status: int = 200) -> Response:
    return html_page(title, text, status, _headers())


def _answer(request: Request, body: dict[str, str | int | float]) -> Response:
    # RFC 6749 §5.1: token answers must not be cached.
    headers = _headers() | {"cache-control": "no-store", "pragma": "no-cache"}
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(body, headers=headers)
    form = urlencode({k: str(v) for k, v in body.items()})
    return Response(form, media_type="application/x-www-form-urlencoded; charset=utf-8", headers=headers)


def _error(request: Request, error: str, description: str, **extra: str | int | float) -> Response:
    return _answer(
        request, {"error": error, "error_description": description, "error_uri": ERROR_URI, **extra}
    )


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _sandbox(request: Request) -> GitHubSandbox:
    sandbox: GitHubSandbox = request.app.state.sandbox
    return sandbox


def _redirect_ok(client: OAuthClient, uri: str) -> bool:
    return uri in client.redirect_uris or is_loopback_redirect(uri)


async def authorize(request: Request) -> Response:
    """GET /login/oauth/authorize: the consent screen, answered at once by the simulated person."""
    sandbox = _sandbox(request)
    oauth = sandbox.oauth
    q = request.query_params
    client = oauth.clients.get(q.get("client_id", ""))
    if client is None:
        return _page("Not Found", "No OAuth app is registered with this client_id.", 404)
    redirect_uri = q.get("redirect_uri", "")
    if not redirect_uri or not _redirect_ok(client, redirect_uri):
        return _page(
            "Redirect URI mismatch", "redirect_uri must be http://127.0.0.1:<port>/... (RFC 8252).", 400
        )
    state = q.get("state")
    extra = {"state": state} if state is not None else {}
    refusal = pkce_refusal(q)
    if refusal is not None:
        return _redirect(redirect_uri, {**refusal, **extra})
    with sandbox.lock:
        if oauth.consent.deny:
            description = "The user has denied your application access."
            params = {"error": "access_denied", "error_description": description, "error_uri": ""}
            return _redirect(redirect_uri, {**params, **extra})
        code = secrets.token_hex(10)
        oauth.codes[code] = AuthorizationCode(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=oauth.granted_scopes(parse_scope_param(q.get("scope"))),
            login=oauth.consent.login,
            challenge=q["code_challenge"],
            expires_at=sandbox.clock.now() + oauth.code_ttl,
        )
    return _redirect(redirect_uri, {"code": code, **extra})


def _tokens_body(issued: IssuedTokens) -> dict[str, str | int | float]:
    body: dict[str, str | int | float] = {"access_token": issued.access_token}
    if issued.expires_in is not None:
        body["expires_in"] = issued.expires_in
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
        if issued.refresh_token_expires_in is not None:
            body["refresh_token_expires_in"] = issued.refresh_token_expires_in
    body["token_type"] = "bearer"
    body["scope"] = ",".join(sorted(issued.scopes))
    return body


async def access_token(request: Request) -> Response:
    """POST /login/oauth/access_token: authorization_code, refresh_token and device_code grants."""
    sandbox = _sandbox(request)
    params = await request_params(request)
    grant = params.get("grant_type") or ("authorization_code" if "code" in params else "")
    with sandbox.lock:
        if grant == "authorization_code":
            return _code_grant(request, sandbox, params)
        if grant == "refresh_token":
            return _refresh_grant(request, sandbox, params)
        if grant == DEVICE_GRANT:
            return _device_grant(request, sandbox, params)
    return _error(request, "unsupported_grant_type", f"grant_type {grant!r} is not supported.")


def _bad_client(request: Request) -> Response:
    return _error(
        request, "incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect."
    )


def _code_grant(request: Request, sandbox: GitHubSandbox, params: dict[str, str]) -> Response:
    client = authenticate_client(sandbox.oauth.clients, params, secret_required=True)
    if client is None:
        return _bad_client(request)
    code = sandbox.oauth.codes.get(params.get("code", ""))
    bad = "The code passed is incorrect or expired."
    if (
        code is None
        or code.used
        or code.client_id != client.client_id
        or sandbox.clock.now() >= code.expires_at
    ):
        return _error(request, "bad_verification_code", bad)
    if params.get("redirect_uri", code.redirect_uri) != code.redirect_uri:
        return _error(
            request, "redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL."
        )
    verifier = params.get("code_verifier", "")
    if not verifier or s256(verifier) != code.challenge:
        return _error(
            request, "bad_verification_code", "The code_verifier does not match the code_challenge."
        )
    code.used = True
    issued = sandbox.tokens.issue(code.login, code.scopes, client.client_id)
    return _answer(request, _tokens_body(issued))


def _refresh_grant(request: Request, sandbox: GitHubSandbox, params: dict[str, str]) -> Response:
    client = authenticate_client(sandbox.oauth.clients, params, secret_required=True)
    if client is None:
        return _bad_client(request)
    try:
        issued = sandbox.tokens.rotate(params.get("refresh_token", ""), client.client_id)
    except RefreshRejected:
        return _error(request, "bad_refresh_token", "The refresh token passed is incorrect or expired.")
    return _answer(request, _tokens_body(issued))


def _device_grant(request: Request, sandbox: GitHubSandbox, params: dict[str, str]) -> Response:
    client = authenticate_client(sandbox.oauth.clients, params, secret_required=False)
    if client is None:
        return _bad_client(request)
    grant = sandbox.oauth.devices.get(params.get("device_code", ""))
    if grant is None or grant.client_id != client.client_id:
        return _error(request, "incorrect_device_code", "The device_code provided is not valid.")
    now = sandbox.clock.now()
    if now >= grant.expires_at:
        return _error(request, "expired_token", "The device_code has expired.")
    if grant.status == "denied":
        return _error(request, "access_denied", "The authorization request was denied.")
    if grant.status == "used":
        return _error(request, "bad_verification_code", "The device_code was already exchanged.")
    if grant.status == "pending":
        # RFC 8628 §3.5: polling faster than the interval earns slow_down and a longer interval.
        too_fast = grant.last_poll is not None and now - grant.last_poll < grant.interval
        grant.last_poll = now
        if too_fast:
            grant.interval += sandbox.oauth.slow_down_step
            description = "Too many requests have been made in the same timeframe."
            return _error(request, "slow_down", description, interval=_number(grant.interval))
        return _error(request, "authorization_pending", "The authorization request is still pending.")
    grant.status = "used"
    issued = sandbox.tokens.issue(grant.login or sandbox.oauth.consent.login, grant.scopes, client.client_id)
    return _answer(request, _tokens_body(issued))


async def device_code(request: Request) -> Response:
    """POST /login/device/code: start a device authorization."""
    sandbox = _sandbox(request)
    params = await request_params(request)
    oauth = sandbox.oauth
    with sandbox.lock:
        client = oauth.clients.get(params.get("client_id", ""))
        if client is None:
            return _error(request, "incorrect_client_credentials", "The client_id is not valid.")
        letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
        grant = DeviceGrant(
            device_code=secrets.token_hex(20),
            user_code=f"{letters[:4]}-{letters[4:]}",
            client_id=client.client_id,
            scopes=parse_scope_param(params.get("scope")),
            expires_at=sandbox.clock.now() + oauth.device_expires_in,
            interval=oauth.device_interval,
        )
        oauth.devices[grant.device_code] = grant
    url = request.url
    body: dict[str, str | int | float] = {
        "device_code": grant.device_code,
        "user_code": grant.user_code,
        "verification_uri": f"{url.scheme}://{url.netloc}/login/device",
        "expires_in": oauth.device_expires_in,
        "interval": _number(grant.interval),
    }
    return _answer(request, body)


async def device_page(request: Request) -> Response:
    """GET/POST /login/device: where the person types the user code (POST approves it)."""
    sandbox = _sandbox(request)
    if request.method == "GET":
        # As github.com/login/device: a form for the code the device shows.
        return device_code_form("/login/device", "XXXX-XXXX", _headers())
    params = await request_params(request)
    with sandbox.lock:
        try:
            if sandbox.oauth.consent.deny:
                sandbox.oauth.deny_device(params.get("user_code", ""))
                return _page("Access denied", "The device was not authorized.")
            sandbox.oauth.approve_device(params.get("user_code", ""))
        except KeyError:
            return _page("Incorrect code", "That user code is not valid or has expired.", 404)
    return _page("Congratulations, you're all set!", "Your device is now connected.")


def revoke_token(ctx: Ctx) -> ApiResponse:
    """DELETE /applications/{client_id}/token: the app revokes one of its tokens (HTTP Basic auth)."""
    params_auth = ctx.request.headers.get("authorization", "")
    if not params_auth.lower().startswith("basic "):
        raise ApiError(401, "Requires authentication")
    try:
        user, _, secret = base64.b64decode(params_auth[6:].strip()).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(401, "Requires authentication") from None
    client = ctx.sandbox.oauth.clients.get(user)
    if client is None or user != ctx.param("client_id") or client.client_secret != secret:
        raise not_found()
    value = ctx.json().get("access_token")
    if not isinstance(value, str) or not value:
        raise validation_failed("Application", "access_token", "missing_field")
    token = ctx.sandbox.tokens.lookup(value)
    if token is None or token.client_id != client.client_id:
        raise not_found()
    ctx.sandbox.tokens.revoke(value)
    return ApiResponse(None, status=204)


ROUTES = [
    Route("/login/oauth/authorize", authorize, methods=["GET"]),
    Route("/login/oauth/access_token", access_token, methods=["POST"]),
    Route("/login/device/code", device_code, methods=["POST"]),
    Route("/login/device", device_page, methods=["GET", "POST"]),
    Route(
        "/applications/{client_id}/token",
        endpoint(revoke_token, scopes="", auth="none"),
        methods=["DELETE"],
    ),
]

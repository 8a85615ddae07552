"""The Microsoft identity platform (Entra ID) v2 endpoints msal needs, on the sandbox.

`/{tenant}/v2.0/.well-known/openid-configuration`, `/{tenant}/oauth2/v2.0/authorize` (PKCE S256
required), `/{tenant}/oauth2/v2.0/token` (authorization code, refresh token, device code) and
`/{tenant}/oauth2/v2.0/devicecode`. msal accepts only https authorities, so the discovery document
always names https endpoints on the host it was asked on; a client reaches them through a session
that sends loopback https as http (see `charter.auth.providers.microsoft`). Errors are Entra's:
HTTP 400 with `error`, `error_description` starting with an AADSTS code, and `error_codes`.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from charter.sandboxes.microsoft.seed import OWNER, TENANT_ID
from charter.sandboxes.oauth import (
    Consent,
    ConsentKnobs,
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
    from charter.sandboxes.microsoft.sandbox import GraphSandbox

DEFAULT_CLIENT_ID = "4a1aa1d5-c567-49d0-ad0b-cd957a47f842"
TENANTS = ("common", "organizations", "consumers", TENANT_ID, "contoso.onmicrosoft.com")
# Scopes that are not Graph permissions: they shape the answer (id_token, refresh token).
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
GRAPH_PREFIX = "https://graph.microsoft.com/"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    login: str
    challenge: str
    nonce: str | None
    expires_at: float
    used: bool = False


@dataclass
class DeviceGrant:
    device_code: str = field(repr=False)
    user_code: str
    client_id: str
    scopes: frozenset[str]
    expires_at: float
    status: Literal["pending", "approved", "denied", "used"] = "pending"
    login: str | None = None


@dataclass
class EntraConsent(Consent):
    login: str = OWNER


def graph_scopes(raw: str | None) -> frozenset[str]:
    """Graph permissions named in a `scope` parameter, by their short names (Files.Read.All)."""
    out = set()
    for scope in (raw or "").split():
        short = scope.removeprefix(GRAPH_PREFIX)
        if short and short not in OIDC_SCOPES and short != ".default":
            out.add(short)
    return frozenset(out)


class EntraOAuth(ConsentKnobs):
    """Registered public clients, codes, device grants and consent knobs."""

    consent: EntraConsent

    def __init__(self, sandbox: GraphSandbox) -> None:
        super().__init__(DEFAULT_CLIENT_ID, "")
        self.sandbox = sandbox
        self.codes: dict[str, Code] = {}
        self.devices: dict[str, DeviceGrant] = {}
        self.consent = EntraConsent()
        self.device_interval = 5
        self.reset()

    def reset(self) -> None:
        # Public clients: msal's desktop and CLI flows send no secret.
        self.clients = {}
        self.register_client(DEFAULT_CLIENT_ID)
        self.codes.clear()
        self.devices.clear()
        self.consent = EntraConsent()

    def sign_in_as(self, login: str) -> None:
        self.consent.login = login

    def pending_user_codes(self) -> list[str]:
        return [d.user_code for d in self.devices.values() if d.status == "pending"]

    def approve_device(self, user_code: str, approve: bool = True) -> None:
        for grant in self.devices.values():
            if grant.user_code == user_code.strip().upper() and grant.status == "pending":
                grant.status = "approved" if approve else "denied"
                grant.login = self.consent.login
                grant.scopes = self.granted_scopes(grant.scopes)
                return
        raise KeyError(f"no pending device authorization with user code {user_code!r}")

    def issue(
        self,
        login: str,
        scopes: frozenset[str] | set[str],
        client_id: str = DEFAULT_CLIENT_ID,
        *,
        expires_in: int | None = -1,
    ) -> IssuedTokens:
        """Tokens without running consent (for tests and harnesses)."""
        return self.sandbox.tokens.issue(login, scopes, client_id, expires_in=expires_in)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _origin(request: Request) -> str:
    return f"https://{request.url.netloc}"


def _sandbox(request: Request) -> GraphSandbox:
    sandbox: GraphSandbox = request.app.state.sandbox
    return sandbox


def _error(status: int, error: str, aadsts: int, text: str) -> Response:
    body = {
        "error": error,
        "error_description": f"AADSTS{aadsts}: {text}",
        "error_codes": [aadsts],
        "timestamp": "2025-01-15 09:00:00Z",
        "trace_id": secrets.token_hex(16),
        "correlation_id": secrets.token_hex(16),
    }
    return JSONResponse(body, status_code=status, headers={"cache-control": "no-store"})


def _tenant(request: Request) -> str | None:
    tenant = str(request.path_params["tenant"])
    return tenant if tenant in TENANTS else None


async def openid_configuration(request: Request) -> Response:
    """The OpenID discovery document msal reads first."""
    tenant = _tenant(request)
    if tenant is None:
        return _error(400, "invalid_tenant", 90002, "Tenant not found.")
    base = f"{_origin(request)}/{tenant}"
    return JSONResponse(
        {
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "jwks_uri": f"{_origin(request)}/{tenant}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "code_challenge_methods_supported": ["plain", "S256"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }
    )


async def authorize(request: Request) -> Response:
    """The sign-in and consent screen, answered at once by the simulated person."""
    sandbox = _sandbox(request)
    entra = sandbox.entra
    q = request.query_params
    if _tenant(request) is None:
        return _error(400, "invalid_tenant", 90002, "Tenant not found.")
    client = entra.clients.get(q.get("client_id", ""))
    redirect_uri = q.get("redirect_uri", "")
    if client is None:
        return _error(400, "unauthorized_client", 700016, "Application not found in the directory.")
    if not (
        redirect_uri in client.redirect_uris
        or is_loopback_redirect(redirect_uri, hosts=("127.0.0.1", "::1", "localhost"), port_required=False)
    ):
        return _error(400, "invalid_request", 50011, "The redirect URI does not match the application's.")
    extra = {"state": q["state"]} if "state" in q else {}
    refusal = pkce_refusal(q)
    if refusal is not None:
        return redirect_with(redirect_uri, {**refusal, **extra})
    with sandbox.lock:
        if entra.consent.deny:
            text = "AADSTS65004: User declined to consent to access the app."
            return redirect_with(redirect_uri, {"error": "access_denied", "error_description": text, **extra})
        code = secrets.token_urlsafe(32)
        entra.codes[code] = Code(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=entra.granted_scopes(graph_scopes(q.get("scope"))),
            login=entra.consent.login,
            challenge=q["code_challenge"],
            nonce=q.get("nonce"),
            expires_at=sandbox.clock.now() + 600,
        )
        wants_refresh = "offline_access" in (q.get("scope") or "").split()
        entra.codes[code].scopes |= {"offline_access"} if wants_refresh else set()
    return redirect_with(
        redirect_uri, {"code": code, "client_info": _client_info(sandbox, entra.consent.login), **extra}
    )


def _client_info(sandbox: GraphSandbox, login: str) -> str:
    user = sandbox.state.users[login]
    return _b64({"uid": user.id, "utid": TENANT_ID})


def _answer(
    request: Request, sandbox: GraphSandbox, tokens: IssuedTokens, client_id: str, nonce: str | None
) -> Response:
    tenant = str(request.path_params["tenant"])
    user = sandbox.state.users[tokens.login]
    now = int(sandbox.clock.now())
    claims: dict[str, object] = {
        "aud": client_id,
        "iss": f"{_origin(request)}/{tenant}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": user.display_name,
        "oid": user.id,
        "preferred_username": user.email,
        "sub": user.id,
        "tid": TENANT_ID,
        "ver": "2.0",
    }
    if nonce:
        claims["nonce"] = nonce
    body: dict[str, object] = {
        "token_type": "Bearer",
        "scope": " ".join(sorted(tokens.scopes - OIDC_SCOPES)),
        "expires_in": tokens.expires_in,
        "ext_expires_in": tokens.expires_in,
        "access_token": tokens.access_token,
        "id_token": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + ".",
        "client_info": _client_info(sandbox, tokens.login),
    }
    if tokens.refresh_token and "offline_access" in tokens.scopes:
        body["refresh_token"] = tokens.refresh_token
    return JSONResponse(body, headers={"cache-control": "no-store", "pragma": "no-cache"})


async def token(request: Request) -> Response:
    """The token endpoint: authorization code + PKCE, refresh token, device code."""
    sandbox = _sandbox(request)
    params = await request_params(request)
    if _tenant(request) is None:
        return _error(400, "invalid_tenant", 90002, "Tenant not found.")
    client = authenticate_client(sandbox.entra.clients, params, secret_required=False)
    if client is None:
        return _error(400, "unauthorized_client", 700016, "Application not found in the directory.")
    grant = params.get("grant_type")
    with sandbox.lock:
        if grant == "authorization_code":
            return _by_code(request, sandbox, params, client.client_id)
        if grant == "refresh_token":
            return _by_refresh(request, sandbox, params, client.client_id)
        if grant == DEVICE_GRANT:
            return _by_device(request, sandbox, params, client.client_id)
    return _error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")


def _by_code(request: Request, sandbox: GraphSandbox, params: dict[str, str], client_id: str) -> Response:
    code = sandbox.entra.codes.get(params.get("code", ""))
    if code is None or code.used or code.client_id != client_id or sandbox.clock.now() > code.expires_at:
        return _error(
            400,
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired or was already used.",
        )
    if code.redirect_uri != params.get("redirect_uri"):
        return _error(
            400,
            "invalid_grant",
            50148,
            "The redirect_uri does not match the one of the authorization request.",
        )
    if s256(params.get("code_verifier", "")) != code.challenge:
        return _error(
            400,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        )
    code.used = True
    tokens = sandbox.tokens.issue(code.login, code.scopes, client_id)
    return _answer(request, sandbox, tokens, client_id, code.nonce)


def _by_refresh(request: Request, sandbox: GraphSandbox, params: dict[str, str], client_id: str) -> Response:
    held = sandbox.tokens.lookup_refresh(params.get("refresh_token", ""))
    wanted = graph_scopes(params.get("scope"))
    if held is not None and wanted - held.scopes:
        missing = " ".join(sorted(wanted - held.scopes))
        return _error(
            400,
            "invalid_grant",
            65001,
            f"The user or administrator has not consented to use the application for {missing}.",
        )
    try:
        # Entra issues a new refresh token but does not revoke the one used, as its docs say.
        tokens = sandbox.tokens.rotate(params.get("refresh_token", ""), client_id, reuse=True)
    except RefreshRejected as exc:
        return _error(
            400, "invalid_grant", 70000, f"The provided grant has expired or was revoked ({exc.reason})."
        )
    return _answer(request, sandbox, tokens, client_id, None)


def _by_device(request: Request, sandbox: GraphSandbox, params: dict[str, str], client_id: str) -> Response:
    grant = sandbox.entra.devices.get(params.get("device_code", ""))
    if grant is None or grant.client_id != client_id:
        return _error(400, "invalid_grant", 70000, "The device code is not valid.")
    if sandbox.clock.now() > grant.expires_at:
        return _error(400, "expired_token", 70020, "The provided device code has expired.")
    if grant.status == "pending":
        return _error(400, "authorization_pending", 70016, "The user has not yet completed authorization.")
    if grant.status == "denied":
        return _error(400, "authorization_declined", 70019, "The user declined the authorization.")
    if grant.status == "used" or grant.login is None:
        return _error(400, "invalid_grant", 70000, "The device code was already redeemed.")
    grant.status = "used"
    tokens = sandbox.tokens.issue(grant.login, grant.scopes, client_id)
    return _answer(request, sandbox, tokens, client_id, None)


async def device_code(request: Request) -> Response:
    """Start a device-code sign-in."""
    sandbox = _sandbox(request)
    params = await request_params(request)
    client = sandbox.entra.clients.get(params.get("client_id", ""))
    if client is None:
        return _error(400, "unauthorized_client", 700016, "Application not found in the directory.")
    user_code = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(9))
    device = secrets.token_urlsafe(48)
    scopes = graph_scopes(params.get("scope")) | (
        {"offline_access"} if "offline_access" in params.get("scope", "") else set()
    )
    with sandbox.lock:
        sandbox.entra.devices[device] = DeviceGrant(
            device, user_code, client.client_id, scopes, sandbox.clock.now() + 900
        )
    page = f"{_origin(request)}/devicelogin"
    return JSONResponse(
        {
            "user_code": user_code,
            "device_code": device,
            "verification_uri": page,
            "expires_in": 900,
            "interval": sandbox.entra.device_interval,
            "message": f"To sign in, use a web browser to open the page {page} and enter the code "
            f"{user_code} to authenticate.",
        }
    )


async def device_login(request: Request) -> Response:
    """GET/POST /devicelogin: where the person types the code msal shows, as on microsoft.com/devicelogin."""
    if request.method == "GET":
        return device_code_form("/devicelogin", "XXXXXXXXX")
    sandbox = _sandbox(request)
    params = await request_params(request)
    with sandbox.lock:
        try:
            sandbox.entra.approve_device(params.get("user_code", ""), not sandbox.entra.consent.deny)
        except KeyError:
            return html_page("Incorrect code", "That code is not valid or has expired.", 404)
    return html_page("You're signed in", "You can close this window and return to your device.")


def is_entra_path(path: str) -> bool:
    parts = urlsplit(path).path.strip("/").split("/")
    return len(parts) >= 2 and parts[1] in ("v2.0", "oauth2")


ROUTES = [
    Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/{tenant}/oauth2/v2.0/authorize", authorize, methods=["GET"]),
    Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
    Route("/{tenant}/oauth2/v2.0/devicecode", device_code, methods=["POST"]),
    Route("/devicelogin", device_login, methods=["GET", "POST"]),
]

"""What the sandboxes' OAuth servers share: registered clients, consent knobs, PKCE S256, request parsing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

LOOPBACK_HOSTS = ("127.0.0.1", "::1")


@dataclass
class OAuthClient:
    """A registered OAuth client; `client_secret` None makes it a public client."""

    client_id: str
    client_secret: str | None = field(repr=False)
    redirect_uris: list[str] = field(default_factory=list)


@dataclass
class Consent:
    """How the simulated person answers a consent screen (each server adds who is signed in)."""

    only: frozenset[str] | None = None
    deny: bool = False


class ConsentKnobs:
    """Registered clients and the consent answers of one sandbox OAuth server, for tests to turn."""

    consent: Consent

    def __init__(self, client_id: str, client_secret: str) -> None:
        self._default_client = (client_id, client_secret)
        self.clients: dict[str, OAuthClient] = {}
        self.code_ttl = 600

    def reset_clients(self) -> None:
        """Back to the one default client."""
        client_id, client_secret = self._default_client
        self.clients = {client_id: OAuthClient(client_id, client_secret)}

    def register_client(
        self, client_id: str, client_secret: str | None = None, redirect_uris: list[str] | None = None
    ) -> OAuthClient:
        """Register another OAuth client (public when `client_secret` is None)."""
        client = OAuthClient(client_id, client_secret, list(redirect_uris or []))
        self.clients[client_id] = client
        return client

    def grant_only(self, scopes: Iterable[str]) -> None:
        """The person grants at most these scopes, whatever the app asks for."""
        self.consent.only, self.consent.deny = frozenset(scopes), False

    def deny_consent(self) -> None:
        """The person refuses the next consent screens (redirect with `error=access_denied`)."""
        self.consent.deny = True

    def auto_consent(self) -> None:
        """The person grants everything asked (the default)."""
        self.consent.only, self.consent.deny = None, False

    def granted_scopes(self, requested: frozenset[str]) -> frozenset[str]:
        """What the person grants of `requested`, given the `grant_only` knob."""
        return requested if self.consent.only is None else requested & self.consent.only


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of `verifier` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def pkce_refusal(query: Mapping[str, str]) -> dict[str, str] | None:
    """The error to redirect an authorize request without an S256 code challenge with; None if it has one."""
    if query.get("code_challenge") and query.get("code_challenge_method") == "S256":
        return None
    description = "PKCE is required: send code_challenge with code_challenge_method=S256."
    return {"error": "invalid_request", "error_description": description}


def is_loopback_redirect(
    uri: str, *, hosts: tuple[str, ...] = LOOPBACK_HOSTS, port_required: bool = True
) -> bool:
    """RFC 8252 §7.3: an http redirect to a loopback host, on any port."""
    parts = urlsplit(uri)
    has_port = parts.port is not None or not port_required
    return parts.scheme == "http" and parts.hostname in hosts and has_port


def authenticate_client(
    clients: Mapping[str, OAuthClient], params: Mapping[str, str], *, secret_required: bool = True
) -> OAuthClient | None:
    """The client named in `params` if its secret matches (public clients need none)."""
    client = clients.get(params.get("client_id", ""))
    if client is None:
        return None
    if client.client_secret is None or not (secret_required or "client_secret" in params):
        return client
    given = params.get("client_secret", "")
    return client if hmac.compare_digest(given.encode(), client.client_secret.encode()) else None


async def request_params(request: Request) -> dict[str, str]:
    """Form, JSON and query parameters together, plus client credentials from HTTP Basic auth."""
    params = dict(request.query_params)
    raw = await request.body()
    if raw:
        if "json" in request.headers.get("content-type", ""):
            try:
                data = json.loads(raw)
            except (ValueError, RecursionError):  # nesting deeper than the parser goes
                data = None
            params.update({k: str(v) for k, v in data.items()} if isinstance(data, dict) else {})
        else:
            params.update(dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)))
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return params
        params.setdefault("client_id", user)
        params.setdefault("client_secret", password)
    return params


def redirect_with(uri: str, params: dict[str, str], headers: dict[str, str] | None = None) -> Response:
    """A 302 to `uri` with `params` added to its query."""
    sep = "&" if urlsplit(uri).query else "?"
    return RedirectResponse(f"{uri}{sep}{urlencode(params)}", status_code=302, headers=headers)


def device_code_form(action: str, placeholder: str, headers: dict[str, str] | None = None) -> Response:
    """The page where the person types the code their device shows (RFC 8628 §3.3); POST to `action`."""
    hint = html.escape(placeholder)
    body = (
        "<!doctype html><meta charset=utf-8><title>Device activation</title><h1>Device activation</h1>"
        "<p>Enter the code displayed on your device (sandbox: consent is given as the sandbox's user).</p>"
        f'<form method="post" action="{html.escape(action)}"><label for="user_code">Code</label> '
        '<input id="user_code" name="user_code" required autocomplete="off" autofocus '
        f'placeholder="{hint}"> <button type="submit">Continue</button></form>'
    )
    return HTMLResponse(body, headers=headers)


def html_page(title: str, text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A bare HTML page with a heading and one paragraph, as consent screens show errors."""
    heading, para = html.escape(title), html.escape(text)
    body = f"<!doctype html><title>{heading}</title><h1>{heading}</h1><p>{para}</p>"
    return HTMLResponse(body, status_code=status, headers=headers)

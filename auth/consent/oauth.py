"""The OAuth 2.0 client side for every provider, on authlib's protocol client (RFC 6749, 7636, 7009).

authlib builds the authorize URL (PKCE S256 and `state`), the token requests (code exchange, refresh,
the device-code grant of RFC 8628 §3.4) with the client's authentication, and reads the answers,
errors included (GitHub's sent with HTTP 200 too). What a provider does differently comes from its
`Provider`: compliance hooks that rewrite an answer before authlib reads it (GitHub's form-encoded
body), the names it gives RFC 6749's errors, and the body encoding of its token endpoint (Notion's
JSON). Charter keeps on top: typed errors that say what to do, granted-scope tracking, and the
vault's single-flight refresh (in `charter.auth.vault`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.oauth2.auth import ClientAuth as AuthlibClientAuth
from authlib.oauth2.auth import encode_client_secret_basic
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.client import OAuth2Client as AuthlibOAuth2Client

from charter.auth.consent.errors import CodeRejected, ConsentDenied, DeviceCodeExpired, RefreshRejected
from charter.auth.consent.tokens import TokenSet
from charter.auth.providers import ClientAuth, Endpoints, Provider
from charter.auth.providers.base import Refresher
from charter.schemas import CharterError, ConfigurationError, NoAnswer, UpstreamError

log = logging.getLogger("charter.auth.oauth")

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 6749 §5.2 and RFC 8628 §3.5 names; a provider's own names are mapped onto these first.
_DEAD_GRANT = {"invalid_grant", "expired_token"}
_BAD_CLIENT = {"invalid_client", "unauthorized_client"}
_PENDING = {"authorization_pending", "slow_down"}


@dataclass(frozen=True)
class DeviceAuthorization:
    """What the person needs to approve a device (RFC 8628 §3.2); the device code stays hidden."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    expires_in: float
    interval: float = 5.0
    verification_uri_complete: str | None = None


@dataclass(frozen=True)
class DevicePending:
    """A poll that found no decision yet; `interval` is the wait the server now asks for."""

    error: str
    interval: float | None = None


class _ClientAuthentication(httpx.Auth, AuthlibClientAuth):  # type: ignore[misc]
    """authlib's client authentication (RFC 6749 §2.3: HTTP Basic or the form's fields) on httpx."""

    requires_request_body = True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        is_json = request.headers.get("content-type", "").startswith("application/json")
        if is_json and self.auth_method is not encode_client_secret_basic:
            yield request  # a JSON body has no form fields to carry the credentials in
            return
        url, headers, body = self.prepare(
            request.method, str(request.url), dict(request.headers), request.content.decode()
        )
        content = body.encode() if isinstance(body, str) else body
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        headers["Content-Length"] = str(len(content))
        yield httpx.Request(
            request.method, url, headers=headers, content=content, extensions=request.extensions
        )


class _Protocol(AuthlibOAuth2Client):  # type: ignore[misc]
    client_auth_class = _ClientAuthentication


@dataclass
class _TokenEndpoint:
    """The session authlib posts through: Charter's httpx client, in the provider's body encoding."""

    http: httpx.Client
    provider: Provider

    def post(
        self,
        url: str,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        **_: object,
    ) -> httpx.Response:
        chosen = httpx.USE_CLIENT_DEFAULT if auth is None else auth
        sent = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
        sent.update({"Accept": "application/json", **self.provider.token_headers})
        if self.provider.token_body == "json":
            return self.http.post(url, json=dict(data or {}), headers=sent, auth=chosen)
        return self.http.post(url, data=dict(data or {}), headers=sent, auth=chosen)


@dataclass
class OAuthClient:
    """Talks to one provider's authorization server as one registered client."""

    provider: Provider
    endpoints: Endpoints
    client: ClientAuth
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=15.0), repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def scope_param(self, scopes: Iterable[str]) -> str:
        """Scopes as the authorize and device endpoints take them (space separated, RFC 6749 §3.3)."""
        return " ".join(sorted(set(scopes)))

    def authorization_url(
        self,
        *,
        redirect_uri: str,
        scopes: Iterable[str],
        state: str,
        code_challenge: str,
        extra: Mapping[str, str] | None = None,
    ) -> str:
        """The URL that asks the person for consent, with PKCE S256 and `state`.

        `extra` adds provider parameters to the provider's own (e.g. Google's `prompt=consent`).
        """
        # A provider without scopes (Notion: capabilities live in the integration's settings) or
        # without PKCE is not sent parameters it does not document.
        scope = {"scope": self.scope_param(scopes)} if self.provider.scopes_in_authorize else {}
        pkce = (
            {"code_challenge": code_challenge, "code_challenge_method": "S256"}
            if self.provider.supports_pkce
            else {}
        )
        url, _ = self._protocol([]).create_authorization_url(
            self.endpoints.authorize,
            state=state,
            redirect_uri=redirect_uri,
            **scope,
            **pkce,
            **{**self.provider.authorize_params, **(extra or {})},
        )
        return str(url)

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str, requested: Iterable[str]
    ) -> TokenSet:
        """Trade an authorization code and its PKCE verifier for tokens (RFC 6749 §4.1.3)."""
        during = "exchanging the authorization code"
        pkce = {"code_verifier": code_verifier} if self.provider.supports_pkce else {}
        body = self._call(
            during,
            lambda p: p.fetch_token(
                self.endpoints.token,
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
                **pkce,
            ),
        )
        if "error" in body:
            raise self._error(body, during)
        return self._tokens(body, requested)

    def refresh(self, refresh_token: str, *, previous_scopes: Iterable[str]) -> TokenSet:
        """New tokens from a refresh token (RFC 6749 §6); the provider may rotate the refresh token."""
        if self.provider.refresher is not None:
            return self._refresh_through_library(self.provider.refresher, refresh_token, previous_scopes)
        during = "refreshing the token"
        body = self._call(
            during, lambda p: p.refresh_token(self.endpoints.token, refresh_token=refresh_token)
        )
        if body.get("error") in _DEAD_GRANT:
            name, said = self.provider.display_name, str(body["said"])
            raise RefreshRejected(
                f"connect {name} again: {name} refused the refresh token ({said}); "
                "it was revoked, expired or already used",
                oauth_error=said,
            )
        if "error" in body:
            raise self._error(body, during)
        return self._tokens(body, previous_scopes)

    def _refresh_through_library(
        self, refresher: Refresher, refresh_token: str, previous_scopes: Iterable[str]
    ) -> TokenSet:
        """A refresh through the provider's own client library (msal), its failures typed as ours."""
        name = self.provider.display_name
        try:
            tokens: TokenSet = refresher(
                self.http, self.endpoints, self.client, refresh_token, previous_scopes
            )
        except CharterError:
            raise
        except (httpx.HTTPError, OSError) as exc:
            # Sent, and no answer (msal sends through requests, whose errors are OSErrors): typed
            # like ours, so the vault can send it again.
            raise NoAnswer(
                f"{name} did not answer while refreshing the token ({type(exc).__name__}); retry"
            ) from None
        except Exception as exc:
            # Anything else the library raises (msal's MsalServiceError for a 5xx, say) is the
            # provider failing; its text may quote the request, so only its type is named.
            raise UpstreamError(
                f"{name} failed while refreshing the token ({type(exc).__name__}); retry later"
            ) from None
        return tokens

    def device_authorization(self, scopes: Iterable[str]) -> DeviceAuthorization:
        """Ask for a device and user code (RFC 8628 §3.1)."""
        if not self.endpoints.device_code:
            raise ConfigurationError(f"{self.provider.display_name} has no device flow; use the browser flow")
        # Hand-written: authlib has a client for the device-code token grant, not for this request.
        form = {"client_id": self.client.client_id, "scope": self.scope_param(scopes)}
        during = "requesting a device code"
        url = self.endpoints.device_code
        body = self._call(during, lambda p: _device_answer(p, url, form))
        if "error" in body:
            raise self._error(body, during)
        try:
            return DeviceAuthorization(
                device_code=str(body["device_code"]),
                user_code=str(body["user_code"]),
                verification_uri=str(body.get("verification_uri") or body["verification_url"]),
                verification_uri_complete=body.get("verification_uri_complete"),
                expires_in=float(body.get("expires_in") or 900),
                interval=float(body.get("interval") or 5),
            )
        except (KeyError, ValueError):
            raise UpstreamError(
                f"{self.provider.display_name} sent an incomplete device code answer; retry"
            ) from None

    def poll_device(self, device_code: str, requested: Iterable[str]) -> TokenSet | DevicePending:
        """One poll of the token endpoint for a device code (RFC 8628 §3.4-3.5)."""
        during = "waiting for the device approval"
        body = self._call(
            during,
            lambda p: p.fetch_token(self.endpoints.token, grant_type=DEVICE_GRANT, device_code=device_code),
        )
        error = body.get("error")
        if error in _PENDING:
            interval = body.get("interval")
            return DevicePending(str(error), float(interval) if interval else None)
        if error == "expired_token":
            raise DeviceCodeExpired(
                f"the {self.provider.display_name} device code expired before it was approved; "
                "connect again and enter the new code sooner"
            )
        if error:
            raise self._error(body, during)
        return self._tokens(body, requested)

    def revoke(self, access_token: str) -> None:
        """Revoke an access token at the provider: its own way, or RFC 7009."""
        if self.provider.revoker is not None:
            self.provider.revoker(self.http, self.endpoints, self.client, access_token)
            return
        if not self.endpoints.revoke:
            raise ConfigurationError(f"{self.provider.display_name} offers no revocation endpoint")
        name = self.provider.display_name
        try:
            resp = self._protocol([]).revoke_token(
                self.endpoints.revoke, token=access_token, token_type_hint="access_token"
            )
        except httpx.HTTPError as exc:
            raise UpstreamError(f"could not reach {name} ({type(exc).__name__})") from None
        if resp.status_code != 200:
            raise UpstreamError(f"{name} answered {resp.status_code} to the revocation")

    def account(self, access_token: str) -> str:
        """The account (login or email) the token belongs to."""
        if self.provider.account_lookup is None:
            raise ConfigurationError(f"{self.provider.display_name} has no account lookup configured")
        return self.provider.account_lookup(self.http, self.endpoints, access_token)

    def _protocol(self, answers: list[httpx.Response]) -> AuthlibOAuth2Client:
        """authlib's client for one exchange; each token answer passes the provider's hooks into `answers`."""
        secret = self.client.client_secret
        method = self.provider.token_auth if secret else "none"
        protocol = _Protocol(
            session=_TokenEndpoint(self.http, self.provider),
            client_id=self.client.client_id,
            client_secret=secret,
            token_endpoint_auth_method=method,
            revocation_endpoint_auth_method=method,
            code_challenge_method="S256",
        )

        def read(resp: httpx.Response) -> httpx.Response:
            for hook in self.provider.token_response_hooks:
                resp = hook(resp)
            answers.append(resp)
            return resp

        protocol.register_compliance_hook("access_token_response", read)
        protocol.register_compliance_hook("refresh_token_response", read)
        return protocol

    def _call(self, during: str, send: Callable[[AuthlibOAuth2Client], object]) -> dict[str, Any]:
        """The token endpoint's answer as the provider sent it, an OAuth error as `error`/`said` fields."""
        answers: list[httpx.Response] = []
        name = self.provider.display_name
        try:
            send(self._protocol(answers))
        except OAuth2Error as exc:
            said = str(exc.error)
            body = _json_object(answers[-1]) if answers else {}
            return {
                **body,
                "error": self.provider.error_names.get(said, said),
                "said": said,
                "error_description": exc.description or "",
            }
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            raise UpstreamError(f"{name} answered HTTP {status} while {during}; retry later") from None
        except httpx.ConnectError as exc:
            raise UpstreamError(
                f"could not reach {name} while {during} ({type(exc).__name__}); retry"
            ) from None
        except httpx.HTTPError as exc:
            # Sent, and no answer: the provider may have acted (rotated a refresh token, say).
            raise NoAnswer(f"{name} did not answer while {during} ({type(exc).__name__}); retry") from None
        except ValueError:
            raise UpstreamError(f"{name} sent an unreadable answer while {during}; retry later") from None
        # The answer as sent: authlib fills in a refresh token the provider did not rotate.
        return _json_object(answers[-1]) if answers else {}

    def _tokens(self, body: Mapping[str, Any], requested: Iterable[str]) -> TokenSet:
        if not body.get("access_token"):
            raise UpstreamError(f"{self.provider.display_name} sent a token answer without an access token")
        now = self.clock()
        expires_in = body.get("expires_in")
        refresh_in = body.get("refresh_token_expires_in")
        # RFC 6749 §5.1: the scope is omitted when it equals the requested one.
        raw_scope = body.get("scope")
        scopes = self.provider.parse_scopes(str(raw_scope)) if raw_scope is not None else frozenset(requested)
        return TokenSet(
            access_token=str(body["access_token"]),
            token_type=str(body.get("token_type") or "bearer").lower(),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            expires_at=now + float(expires_in) if expires_in else None,
            refresh_expires_at=now + float(refresh_in) if refresh_in else None,
            scopes=scopes,
        )

    def _error(self, body: Mapping[str, Any], during: str) -> Exception:
        error = str(body.get("error"))
        named = str(body.get("said") or error)
        desc = str(body.get("error_description") or "").strip()
        name = self.provider.display_name
        said = f"{name} said {named}" + (f" ({desc})" if desc else "")
        log.info("%s refused a request while %s: %s", name, during, named)
        if error == "access_denied":
            return ConsentDenied(
                f"{said}; the request was declined. Connect again and approve it.", oauth_error=named
            )
        if error in _BAD_CLIENT:
            return ConfigurationError(f"{said} while {during}: check the OAuth client id and secret")
        if error in _DEAD_GRANT:
            return CodeRejected(
                f"{said} while {during}: the code was used, expired, or its PKCE verifier did not match; "
                f"connect {name} again",
                oauth_error=named,
            )
        return UpstreamError(f"{said} while {during}", oauth_error=named)


def _device_answer(protocol: AuthlibOAuth2Client, url: str, form: Mapping[str, str]) -> None:
    """Posts the device authorization request; its answer is read as authlib reads a token answer."""
    resp = protocol.session.post(url, data=form)
    for hook in protocol.compliance_hook["access_token_response"]:
        resp = hook(resp)
    body = _json_object(resp)
    if "error" in body:
        raise OAuth2Error(error=str(body["error"]), description=str(body.get("error_description") or ""))
    if resp.status_code >= 400:
        resp.raise_for_status()


def _json_object(resp: httpx.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return {str(k): v for k, v in data.items() if v is not None} if isinstance(data, dict) else {}

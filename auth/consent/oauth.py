"""The OAuth 2.0 client side (RFC 6749, RFC 8628 §3.1-3.5, RFC 7009), once for every provider.

Token responses are read whatever their shape: GitHub answers form-encoded unless asked for JSON,
and reports OAuth errors with HTTP 200, so errors are detected by the `error` field, not the status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import httpx
from authlib.oauth2.auth import ClientAuth as AuthlibClientAuth

from charter.auth.consent.errors import CodeRejected, ConsentDenied, DeviceCodeExpired, RefreshRejected
from charter.auth.consent.tokens import TokenSet
from charter.auth.providers import ClientAuth, Endpoints, Provider
from charter.schemas import ConfigurationError, NoAnswer, UpstreamError

log = logging.getLogger("charter.auth.oauth")

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# Errors meaning the grant itself is dead (RFC 6749 §5.2, plus GitHub's own names).
_DEAD_GRANT = {"invalid_grant", "bad_verification_code", "bad_refresh_token", "expired_token"}
_BAD_CLIENT = {"invalid_client", "incorrect_client_credentials", "unauthorized_client"}


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
        query = {
            **self.provider.authorize_params,
            **(extra or {}),
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.scope_param(scopes),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        sep = "&" if "?" in self.endpoints.authorize else "?"
        return f"{self.endpoints.authorize}{sep}{urlencode(query)}"

    def exchange_code(
        self, *, code: str, redirect_uri: str, code_verifier: str, requested: Iterable[str]
    ) -> TokenSet:
        """Trade an authorization code and its PKCE verifier for tokens (RFC 6749 §4.1.3)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        return self._tokens(self._token_request(form, "exchanging the authorization code"), requested)

    def refresh(self, refresh_token: str, *, previous_scopes: Iterable[str]) -> TokenSet:
        """New tokens from a refresh token (RFC 6749 §6); the provider may rotate the refresh token."""
        if self.provider.refresher is not None:
            tokens: TokenSet = self.provider.refresher(
                self.http, self.endpoints, self.client, refresh_token, previous_scopes
            )
            return tokens
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        body = self._token_request(form, "refreshing the token", raise_errors=False)
        error = body.get("error")
        if error in _DEAD_GRANT:
            name = self.provider.display_name
            raise RefreshRejected(
                f"connect {name} again: {name} refused the refresh token ({error}); "
                "it was revoked, expired or already used",
                oauth_error=str(error),
            )
        if error:
            raise self._error(body, "refreshing the token")
        return self._tokens(body, previous_scopes)

    def device_authorization(self, scopes: Iterable[str]) -> DeviceAuthorization:
        """Ask for a device and user code (RFC 8628 §3.1)."""
        if not self.endpoints.device_code:
            raise ConfigurationError(f"{self.provider.display_name} has no device flow; use the browser flow")
        form = {"client_id": self.client.client_id, "scope": self.scope_param(scopes)}
        body = self._post(self.endpoints.device_code, form, "requesting a device code")
        if "error" in body:
            raise self._error(body, "requesting a device code")
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
        form = {"grant_type": DEVICE_GRANT, "device_code": device_code}
        body = self._token_request(form, "waiting for the device approval", raise_errors=False)
        error = body.get("error")
        if error in ("authorization_pending", "slow_down"):
            interval = body.get("interval")
            return DevicePending(str(error), float(interval) if interval else None)
        if error == "expired_token":
            raise DeviceCodeExpired(
                f"the {self.provider.display_name} device code expired before it was approved; "
                "connect again and enter the new code sooner"
            )
        if error:
            raise self._error(body, "waiting for the device approval")
        return self._tokens(body, requested)

    def revoke(self, access_token: str) -> None:
        """Revoke an access token at the provider: its own way, or RFC 7009."""
        if self.provider.revoker is not None:
            self.provider.revoker(self.http, self.endpoints, self.client, access_token)
            return
        if not self.endpoints.revoke:
            raise ConfigurationError(f"{self.provider.display_name} offers no revocation endpoint")
        form = {"token": access_token, "token_type_hint": "access_token", **self._client_form()}
        try:
            resp = self.http.post(self.endpoints.revoke, data=form)
        except httpx.HTTPError as exc:
            raise UpstreamError(
                f"could not reach {self.provider.display_name} ({type(exc).__name__})"
            ) from None
        if resp.status_code != 200:
            raise UpstreamError(f"{self.provider.display_name} answered {resp.status_code} to the revocation")

    def account(self, access_token: str) -> str:
        """The account (login or email) the token belongs to."""
        if self.provider.account_lookup is None:
            raise ConfigurationError(f"{self.provider.display_name} has no account lookup configured")
        return self.provider.account_lookup(self.http, self.endpoints, access_token)

    def _client_form(self) -> dict[str, str]:
        # client_secret_post: GitHub reads credentials only from the body.
        form = {"client_id": self.client.client_id}
        if self.client.client_secret:
            form["client_secret"] = self.client.client_secret
        return form

    def _token_request(
        self, form: Mapping[str, str], during: str, *, raise_errors: bool = True
    ) -> dict[str, str]:
        if self.provider.token_auth == "client_secret_basic" and self.client.client_secret:
            auth = AuthlibClientAuth(self.client.client_id, self.client.client_secret, "client_secret_basic")
            _, basic, _ = auth.prepare("POST", self.endpoints.token, {}, "")
            body = self._post(self.endpoints.token, form, during, basic)
        else:
            body = self._post(self.endpoints.token, {**form, **self._client_form()}, during)
        if raise_errors and "error" in body:
            raise self._error(body, during)
        return body

    def _post(
        self, url: str, form: Mapping[str, str], during: str, headers: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        name = self.provider.display_name
        try:
            resp = self.http.post(
                url, data=dict(form), headers={"Accept": "application/json", **(headers or {})}
            )
        except httpx.ConnectError as exc:
            raise UpstreamError(
                f"could not reach {name} while {during} ({type(exc).__name__}); retry"
            ) from None
        except httpx.HTTPError as exc:
            # Sent, and no answer: the provider may have acted (rotated a refresh token, say).
            raise NoAnswer(f"{name} did not answer while {during} ({type(exc).__name__}); retry") from None
        body = _parse_body(resp)
        if "error" not in body and resp.status_code >= 400:
            raise UpstreamError(f"{name} answered HTTP {resp.status_code} while {during}; retry later")
        return body

    def _tokens(self, body: Mapping[str, str], requested: Iterable[str]) -> TokenSet:
        if not body.get("access_token"):
            raise UpstreamError(f"{self.provider.display_name} sent a token answer without an access token")
        now = self.clock()
        expires_in = body.get("expires_in")
        refresh_in = body.get("refresh_token_expires_in")
        # RFC 6749 §5.1: the scope is omitted when it equals the requested one.
        raw_scope = body.get("scope")
        scopes = self.provider.parse_scopes(raw_scope) if raw_scope is not None else frozenset(requested)
        return TokenSet(
            access_token=body["access_token"],
            token_type=str(body.get("token_type") or "bearer").lower(),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            expires_at=now + float(expires_in) if expires_in else None,
            refresh_expires_at=now + float(refresh_in) if refresh_in else None,
            scopes=scopes,
        )

    def _error(self, body: Mapping[str, str], during: str) -> Exception:
        error = str(body.get("error"))
        desc = str(body.get("error_description") or "").strip()
        name = self.provider.display_name
        said = f"{name} said {error}" + (f" ({desc})" if desc else "")
        log.info("%s refused a request while %s: %s", name, during, error)
        if error == "access_denied":
            return ConsentDenied(
                f"{said}; the request was declined. Connect again and approve it.", oauth_error=error
            )
        if error in _BAD_CLIENT:
            return ConfigurationError(f"{said} while {during}: check the OAuth client id and secret")
        if error in _DEAD_GRANT:
            return CodeRejected(
                f"{said} while {during}: the code was used, expired, or its PKCE verifier did not match; "
                f"connect {name} again",
                oauth_error=error,
            )
        return UpstreamError(f"{said} while {during}", oauth_error=error)


def _parse_body(resp: httpx.Response) -> dict[str, str]:
    if "json" in resp.headers.get("content-type", ""):
        try:
            data = resp.json()
        except ValueError:
            return {}
        # Values become strings, as in a form-encoded answer, so both shapes read the same.
        return {str(k): str(v) for k, v in data.items() if v is not None} if isinstance(data, dict) else {}
    return dict(parse_qsl(resp.text))

"""Connect a Microsoft account through msal: loopback auth code + PKCE, or the device code flow.

msal runs the protocol (PKCE, state, nonce, the id_token's checks) and keeps its own token cache;
Charter saves that cache, encrypted, in the vault, and names the account from the id_token, so no
extra Graph permission (User.Read) is asked for. The tenant is part of the authority:
`organizations` (work and school accounts, the default), `consumers`, `common` or a tenant id.
A person's account refreshing through `common` fails about an hour in (AADSTS70000); use
`consumers` for personal accounts.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from charter.auth.consent import ConsentTimeout, open_in_browser, print_user_code
from charter.auth.consent.errors import CodeRejected, ConsentDenied, DeviceCodeExpired
from charter.auth.consent.loopback import LoopbackListener
from charter.auth.providers.microsoft import (
    LOGIN_BASE,
    MICROSOFT,
    SITES_SELECTED,
    account_from_claims,
    authority_of,
    graph_scopes,
    msal_app,
    tokens_from,
)
from charter.auth.vault import Connection, Vault
from charter.schemas import ConfigurationError, UpstreamError


def authority_for(tenant: str = "organizations", login_base: str = LOGIN_BASE) -> str:
    """The authority of `tenant` under a login host (Microsoft's, or a sandbox's)."""
    if not tenant or "/" in tenant:
        raise ConfigurationError(
            f"tenant {tenant!r} is not a tenant name or id; use organizations, a tenant id, …"
        )
    return f"{login_base.rstrip('/')}/{tenant}"


def check_scope_mode(scopes: Iterable[str]) -> list[str]:
    """The Graph scopes to ask for; refuses Sites.Selected mixed with `.All` permissions."""
    wanted = graph_scopes(scopes)
    if SITES_SELECTED in wanted and any(s.endswith(".All") for s in wanted):
        raise ConfigurationError(
            "Sites.Selected cannot be combined with .All permissions: they would widen access past "
            "the sites an administrator granted; ask for Sites.Selected alone"
        )
    if not wanted:
        raise ConfigurationError("name at least one Graph permission to ask for, e.g. Files.Read.All")
    return wanted


def connect_microsoft(
    vault: Vault,
    *,
    scopes: Iterable[str],
    client_id: str,
    authority: str = f"{LOGIN_BASE}/organizations",
    api_base: str = "https://graph.microsoft.com/v1.0",
    service: str = "sharepoint",
    device: bool = False,
    open_browser: Callable[[str], object] | None = None,
    show: Callable[[str, str], object] | None = None,
    timeout: float = 300.0,
) -> Connection:
    """Ask the person for consent through msal and save the connection (msal's cache in the vault)."""
    import msal

    wanted = check_scope_mode(scopes)
    cache = msal.SerializableTokenCache()
    app = msal_app(authority, client_id, cache)
    result = _device_flow(app, wanted, show) if device else _browser_flow(app, wanted, open_browser, timeout)
    tokens = tokens_from(result, cache, wanted)
    return vault.add_connection(
        service=service,
        provider=MICROSOFT.name,
        account=account_from_claims(result),
        tokens=tokens,
        api_base=api_base.rstrip("/"),
        oauth_base=authority_of(authority),
        client_id=client_id,
    )


def _browser_flow(
    app: Any, scopes: list[str], open_browser: Callable[[str], object] | None, timeout: float
) -> dict[str, Any]:
    listener = LoopbackListener()
    server = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    server.start()
    try:
        with warnings.catch_warnings():
            # msal recommends form_post; a loopback listener reads the query (RFC 8252 §7.3).
            warnings.filterwarnings("ignore", message="response_mode='form_post'", category=UserWarning)
            flow = app.initiate_auth_code_flow(scopes, redirect_uri=listener.redirect_uri)
        (open_browser or open_in_browser)(flow["auth_uri"])
        if not listener.arrived.wait(timeout) or listener.callback_url is None:
            raise ConsentTimeout(
                f"no answer from Microsoft within {timeout:.0f} s; connect again and finish in the browser"
            )
    finally:
        listener.shutdown()
        listener.server_close()
    answer = dict(parse_qsl(urlsplit(listener.callback_url).query))
    return _redeem(app, flow, answer)


def _device_flow(app: Any, scopes: list[str], show: Callable[[str, str], object] | None) -> dict[str, Any]:
    flow = app.initiate_device_flow(scopes)
    if "user_code" not in flow:
        raise UpstreamError(f"Microsoft did not start the device sign-in ({flow.get('error')}); retry")
    (show or print_user_code)(flow["user_code"], flow["verification_uri"])
    # msal polls at the interval Entra gave, until approval, refusal or expiry.
    result: dict[str, Any] = app.acquire_token_by_device_flow(flow, exit_condition=lambda f: False)
    if result.get("error") == "expired_token":
        raise DeviceCodeExpired("the Microsoft code expired before it was approved; connect again")
    return _checked(result)


def _redeem(app: Any, flow: dict[str, Any], answer: dict[str, str]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = app.acquire_token_by_auth_code_flow(flow, answer)
    except ValueError:
        # msal refuses an answer whose state does not match the flow's: a forged or stale redirect.
        raise CodeRejected(
            "the sign-in answer does not belong to this sign-in (state mismatch); connect again"
        ) from None
    return _checked(result)


def _checked(result: dict[str, Any]) -> dict[str, Any]:
    if "access_token" in result:
        return result
    error = str(result.get("error") or "unknown_error")
    described = str(result.get("error_description") or "").split("\n")[0][:200]
    if error == "access_denied":
        raise ConsentDenied("Microsoft sign-in was declined; connect again and approve it", oauth_error=error)
    if error in ("invalid_grant", "state_mismatch") or "state" in error:
        raise CodeRejected(
            f"Microsoft refused the sign-in answer ({error}: {described}); connect again", oauth_error=error
        )
    raise UpstreamError(f"Microsoft sign-in failed ({error}: {described})", oauth_error=error)


def begin_web_consent(
    *,
    scopes: Iterable[str],
    client_id: str,
    redirect_uri: str,
    authority: str = f"{LOGIN_BASE}/organizations",
) -> tuple[str, dict[str, Any]]:
    """For a web server: the URL to send the person to, and msal's flow to keep in their session.

    The flow holds the PKCE verifier and the state: keep it server-side, never in a cookie.
    """
    app = msal_app(authority, client_id)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="response_mode='form_post'", category=UserWarning)
        flow: dict[str, Any] = app.initiate_auth_code_flow(
            check_scope_mode(scopes), redirect_uri=redirect_uri
        )
    return str(flow["auth_uri"]), flow


def finish_web_consent(
    vault: Vault,
    flow: dict[str, Any],
    query: dict[str, str],
    *,
    client_id: str,
    authority: str = f"{LOGIN_BASE}/organizations",
    api_base: str = "https://graph.microsoft.com/v1.0",
    service: str = "sharepoint",
) -> Connection:
    """For a web server: check the redirect's answer against the kept flow and save the connection."""
    import msal

    cache = msal.SerializableTokenCache()
    result = _redeem(msal_app(authority, client_id, cache), flow, query)
    return vault.add_connection(
        service=service,
        provider=MICROSOFT.name,
        account=account_from_claims(result),
        tokens=tokens_from(result, cache, flow.get("scope") or []),
        api_base=api_base.rstrip("/"),
        oauth_base=authority_of(authority),
        client_id=client_id,
    )


__all__ = [
    "authority_for",
    "begin_web_consent",
    "check_scope_mode",
    "connect_microsoft",
    "finish_web_consent",
]

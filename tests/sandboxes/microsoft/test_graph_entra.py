"""msal, unmodified, signs in, refreshes and runs the device flow against the sandbox's Entra endpoints."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from charter.auth.providers.microsoft import msal_app
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID, GraphSandbox


def test_auth_code_with_pkce_gives_tokens_and_names_the_account(graph: GraphSandbox, sign_in: Any) -> None:
    app, result = sign_in(graph, ["Files.Read.All", "Sites.Read.All"])
    assert "access_token" in result, result
    assert set(str(result["scope"]).split()) == {"Files.Read.All", "Sites.Read.All"}
    assert app.get_accounts()[0]["username"] == "adele@contoso.com"


def test_silent_refresh_rotates_and_the_old_refresh_token_still_works(
    graph: GraphSandbox, sign_in: Any
) -> None:
    # "The Microsoft identity platform doesn't revoke old refresh tokens when used to fetch new
    # access tokens" (its refresh-token docs): a new one comes back, the old one is still taken.
    app, first = sign_in(graph, ["Files.Read.All"])
    account = app.get_accounts()[0]
    second = app.acquire_token_silent_with_error(["Files.Read.All"], account=account, force_refresh=True)
    assert second
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert graph.tokens.refreshes == 1
    old = httpx.post(
        f"{graph.url}/organizations/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": DEFAULT_CLIENT_ID,
        },
    )
    assert old.status_code == 200
    assert graph.tokens.lookup(old.json()["access_token"]) is not None
    assert graph.tokens.refresh_reuses == 1  # counted, so a second refresh by a racing caller shows
    # Control: a revoked refresh token is refused with Entra's error.
    graph.faults.revoke_tokens()
    revoked = httpx.post(
        f"{graph.url}/organizations/oauth2/v2.0/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": DEFAULT_CLIENT_ID,
        },
    )
    assert revoked.status_code == 400
    assert revoked.json()["error"] == "invalid_grant"
    assert revoked.json()["error_description"].startswith("AADSTS70000")


def test_refresh_for_a_scope_never_consented_is_refused(graph: GraphSandbox, sign_in: Any) -> None:
    app, _ = sign_in(graph, ["Files.Read.All"])
    wider = app.acquire_token_silent_with_error(
        ["Sites.ReadWrite.All"], account=app.get_accounts()[0], force_refresh=True
    )
    assert wider
    assert wider.get("error") == "invalid_grant"
    assert "65001" in wider["error_description"]


def test_pkce_is_required_and_a_wrong_verifier_is_refused(graph: GraphSandbox) -> None:
    no_pkce = httpx.get(
        f"{graph.url}/organizations/oauth2/v2.0/authorize",
        params={
            "client_id": DEFAULT_CLIENT_ID,
            "redirect_uri": "http://127.0.0.1:9/cb",
            "scope": "Files.Read",
            "response_type": "code",
        },
    )
    assert "error=invalid_request" in no_pkce.headers["location"]
    app = msal_app(f"{graph.url}/organizations", DEFAULT_CLIENT_ID)
    flow = app.initiate_auth_code_flow(["Files.Read"], redirect_uri="http://127.0.0.1:8400/callback")
    consent = httpx.get("http://" + flow["auth_uri"].removeprefix("https://"))
    flow["code_verifier"] = "x" * 43
    from urllib.parse import parse_qsl, urlsplit

    result = app.acquire_token_by_auth_code_flow(
        flow, dict(parse_qsl(urlsplit(consent.headers["location"]).query))
    )
    assert result.get("error") == "invalid_grant"


def test_unknown_tenant_is_refused_by_discovery(graph: GraphSandbox) -> None:
    answer = httpx.get(f"{graph.url}/nosuchtenant/v2.0/.well-known/openid-configuration")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_tenant"


def test_device_flow_completes_once_the_person_enters_the_code(graph: GraphSandbox) -> None:
    graph.entra.device_interval = 1
    app = msal_app(f"{graph.url}/organizations", DEFAULT_CLIENT_ID)
    flow = app.initiate_device_flow(["Files.Read.All"])
    threading.Timer(0.2, lambda: graph.entra.approve_device(flow["user_code"])).start()
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result, result
    assert graph.entra.pending_user_codes() == []


def test_declined_consent_redirects_with_access_denied(graph: GraphSandbox, sign_in: Any) -> None:
    graph.entra.deny_consent()
    _, result = sign_in(graph, ["Files.Read.All"])
    assert result.get("error") == "access_denied"

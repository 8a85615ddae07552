"""Clients of the session's Graph sandbox (tests/conftest.py starts it): tokens, httpx, msal."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx
import msal
import pytest

from charter.auth.providers.microsoft import msal_app
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID, GraphSandbox

Token = Callable[..., str]


@pytest.fixture
def token(graph: GraphSandbox) -> Token:
    def make(*scopes: str, login: str = "adele@contoso.com", client_id: str = DEFAULT_CLIENT_ID) -> str:
        held = set(scopes or ("Sites.ReadWrite.All",)) | {"offline_access"}
        return graph.entra.issue(login, held, client_id).access_token

    return make


@pytest.fixture
def api(graph: GraphSandbox, token: Token) -> httpx.Client:
    """httpx on the Graph base with a token holding Sites.ReadWrite.All."""
    return httpx.Client(base_url=graph.graph_base, headers={"Authorization": f"Bearer {token()}"}, timeout=10)


SignIn = Callable[..., tuple[msal.PublicClientApplication, dict[str, object]]]


@pytest.fixture
def sign_in() -> SignIn:
    return _sign_in


def _sign_in(
    graph: GraphSandbox, scopes: list[str], tenant: str = "organizations"
) -> tuple[msal.PublicClientApplication, dict[str, object]]:
    """Run msal's auth code + PKCE flow against the sandbox, the browser played by httpx."""
    cache = msal.SerializableTokenCache()
    app = msal_app(f"{graph.url}/{tenant}", DEFAULT_CLIENT_ID, cache)
    flow = app.initiate_auth_code_flow(scopes, redirect_uri="http://127.0.0.1:8400/callback")
    consent = httpx.get("http://" + flow["auth_uri"].removeprefix("https://"))
    answer = dict(parse_qsl(urlsplit(consent.headers["location"]).query))
    return app, app.acquire_token_by_auth_code_flow(flow, answer)


@pytest.fixture
def finance(api: httpx.Client) -> tuple[str, str]:
    """(site id, library drive id) of the Finance site."""
    site = api.get("/sites/contoso.sharepoint.com:/sites/Finance").json()["id"]
    drive = api.get(f"/sites/{site}/drives").json()["value"][0]["id"]
    return site, drive

"""The Google provider: its scope catalog against the discovery documents, and consent end to end."""

from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from charter.auth.connect_google import connect_google
from charter.auth.consent import OAuthClient, TokenSet, authorization_url, complete, run_loopback_flow
from charter.auth.crypto import KeySet, generate_key
from charter.auth.home import CharterHome
from charter.auth.providers import GOOGLE, ClientAuth, get_provider
from charter.auth.providers.google import (
    ADDON_PREFIX,
    GMAIL_COMPOSE,
    GMAIL_LABELS,
    GMAIL_METADATA,
    GMAIL_MODIFY,
    GMAIL_READONLY,
    MAIL_FULL,
    RANK,
    USERINFO_EMAIL,
)
from charter.auth.vault import Vault
from charter.connectors.google import discovery_document
from charter.contract_tests.google_scopes import accepted_scopes
from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox
from charter.schemas import AuthRequired

ACCOUNT = "mona@acme.com"
METHODS = {
    **accepted_scopes(discovery_document("gmail", "v1")),
    **accepted_scopes(discovery_document("calendar", "v3")),
}
API_SCOPES = {scope for scopes in METHODS.values() for scope in scopes}


@pytest.fixture
def vault(home: CharterHome) -> Vault:
    return Vault(home, keys=KeySet.parse(generate_key(), source="test"))


@pytest.fixture
def client(gsb: GoogleSandbox) -> OAuthClient:
    return OAuthClient(
        provider=GOOGLE,
        endpoints=GOOGLE.endpoints(gsb.url, gsb.url),
        client=ClientAuth(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
    )


class Browser:
    """Follows consent redirects like a person clicking Allow; remembers the authorize URLs."""

    def __init__(self) -> None:
        self.opened: list[str] = []

    def __call__(self, url: str) -> None:
        self.opened.append(url)
        httpx.get(url, follow_redirects=True, timeout=10)

    def query(self, index: int = -1) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.opened[index]).query).items()}


def connect_gmail(vault: Vault, gsb: GoogleSandbox, browser: Browser, scopes: list[str]) -> str:
    connection = connect_google(
        vault,
        "gmail",
        scopes=scopes,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        oauth_base=gsb.url,
        api_base=gsb.url,
        open_browser=browser,
        timeout=5,
    )
    return connection.id


# -- the scope catalog -----------------------------------------------------------------------


def test_google_is_a_registered_provider() -> None:
    assert get_provider("google") is GOOGLE


def test_a_broader_scope_is_accepted_wherever_a_narrower_one_it_implies_is() -> None:
    for broad, narrower in GOOGLE.implies.items():
        for narrow in narrower & API_SCOPES:
            refusing = [m for m, scopes in METHODS.items() if narrow in scopes and broad not in scopes]
            assert not refusing, f"{broad} implies {narrow}, but {refusing} accept only the narrower one"


def test_the_privilege_order_ranks_a_broader_scope_above_what_it_implies() -> None:
    for broad, narrower in GOOGLE.implies.items():
        for narrow in narrower & set(RANK):
            assert RANK[broad] > RANK[narrow], f"{broad} must rank above {narrow}"


def test_every_scope_an_app_can_be_granted_has_a_rank() -> None:
    unranked = sorted(s for s in API_SCOPES if s not in RANK and not s.startswith(ADDON_PREFIX))
    assert unranked == []


def test_reading_mail_never_needs_the_full_mail_scope() -> None:
    assert RANK[GMAIL_READONLY] < RANK[GMAIL_MODIFY] < RANK[MAIL_FULL]
    assert RANK[GMAIL_LABELS] < RANK[GMAIL_METADATA] < RANK[GMAIL_READONLY] < RANK[GMAIL_COMPOSE]
    assert GOOGLE.missing_scopes({GMAIL_MODIFY}, {GMAIL_COMPOSE, GMAIL_READONLY}) == frozenset()
    assert GOOGLE.missing_scopes({GMAIL_COMPOSE}, {GMAIL_READONLY}) == {GMAIL_READONLY}


def test_googles_own_endpoints_span_two_hosts_a_sandbox_serves_them_on_one() -> None:
    real = GOOGLE.endpoints()
    assert real.authorize == "https://accounts.google.com/o/oauth2/v2/auth"
    assert (real.token, real.revoke) == (
        "https://oauth2.googleapis.com/token",
        "https://oauth2.googleapis.com/revoke",
    )
    local = GOOGLE.endpoints("http://127.0.0.1:9", "http://127.0.0.1:9")
    assert (local.authorize, local.token) == (
        "http://127.0.0.1:9/o/oauth2/v2/auth",
        "http://127.0.0.1:9/token",
    )


# -- consent -------------------------------------------------------------------------------


def test_the_authorize_url_asks_for_offline_access_and_incremental_authorization(client: OAuthClient) -> None:
    request = authorization_url(client, redirect_uri="http://127.0.0.1:5/cb", scopes=[GMAIL_READONLY])
    query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
    assert query["access_type"] == "offline"
    assert query["include_granted_scopes"] == "true"
    assert query["code_challenge_method"] == "S256"
    assert "prompt" not in query


def test_loopback_consent_gives_tokens_with_the_granted_scopes_and_names_the_account(
    client: OAuthClient,
) -> None:
    browser = Browser()
    tokens = run_loopback_flow(
        client, scopes=[GMAIL_READONLY, USERINFO_EMAIL], open_browser=browser, timeout=5
    )
    assert GMAIL_READONLY in tokens.scopes
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.startswith("1//")
    assert client.account(tokens.access_token) == ACCOUNT


def test_web_redirect_helpers_complete_consent(gsb: GoogleSandbox, client: OAuthClient) -> None:
    request = authorization_url(
        client, redirect_uri="http://127.0.0.1:5/cb", scopes=[GMAIL_READONLY], extra={"prompt": "consent"}
    )
    callback = httpx.get(request.url).headers["location"]
    tokens = complete(client, callback, state=request.state, code_verifier=request.code_verifier)
    assert GMAIL_READONLY in tokens.scopes


def test_the_account_is_found_from_the_gmail_profile_when_userinfo_is_not_granted(
    client: OAuthClient,
) -> None:
    tokens = run_loopback_flow(client, scopes=[GMAIL_READONLY], open_browser=Browser(), timeout=5)
    assert client.account(tokens.access_token) == ACCOUNT


def test_first_connection_prompts_for_consent_and_keeps_a_refresh_token(
    vault: Vault, gsb: GoogleSandbox
) -> None:
    browser = Browser()
    cid = connect_gmail(vault, gsb, browser, [GMAIL_READONLY])
    assert browser.query()["prompt"] == "consent"
    connection = vault.get(cid)
    assert (connection.account, connection.service, connection.provider) == (ACCOUNT, "gmail", "google")
    assert GMAIL_READONLY in connection.scopes
    gsb.faults.expire_access_tokens()
    assert vault.refresh(cid, vault.access_token(cid))


def test_enabling_more_actions_asks_only_for_the_new_scopes_and_widens_the_same_connection(
    vault: Vault, gsb: GoogleSandbox
) -> None:
    browser = Browser()
    first = connect_gmail(vault, gsb, browser, [GMAIL_READONLY])
    second = connect_gmail(vault, gsb, browser, [GMAIL_COMPOSE])
    asked = set(browser.query()["scope"].split())
    assert GMAIL_COMPOSE in asked
    assert GMAIL_READONLY not in asked
    assert browser.query()["login_hint"] == ACCOUNT
    assert "prompt" not in browser.query()
    assert second == first
    assert [c.id for c in vault.connections("gmail")] == [first]
    assert {GMAIL_READONLY, GMAIL_COMPOSE} <= vault.get(first).scopes
    # Google sent no new refresh token for the repeat consent: the first one is kept and still works.
    gsb.faults.expire_access_tokens()
    assert vault.refresh(first, vault.access_token(first))


def test_the_vault_records_the_scopes_the_person_granted(vault: Vault, gsb: GoogleSandbox) -> None:
    gsb.oauth.grant_only({GMAIL_READONLY, USERINFO_EMAIL, "openid"})
    cid = connect_gmail(vault, gsb, Browser(), [GMAIL_READONLY, GMAIL_MODIFY])
    scopes = vault.get(cid).scopes
    assert GMAIL_READONLY in scopes
    assert GMAIL_MODIFY not in scopes


def test_revoking_ends_the_grant_at_google_even_after_the_access_token_expired(
    vault: Vault, gsb: GoogleSandbox
) -> None:
    cid = connect_gmail(vault, gsb, Browser(), [GMAIL_READONLY])
    gsb.faults.expire_access_tokens()
    revocation = vault.revoke(cid)
    assert revocation.remote_revoked, revocation.detail
    assert gsb.requests.count("POST", "/revoke") == 1
    form = {
        "grant_type": "refresh_token",
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    assert httpx.post(f"{gsb.url}/token", data={**form, "refresh_token": "unknown"}).status_code == 400


def test_an_expired_refresh_token_asks_the_person_to_connect_again(vault: Vault, gsb: GoogleSandbox) -> None:
    gsb.oauth.testing_app()
    cid = connect_gmail(vault, gsb, Browser(), [GMAIL_READONLY])
    gsb.oauth.expire_refresh_tokens()
    gsb.faults.expire_access_tokens()
    credentials = vault.credentials(cid)
    with pytest.raises(AuthRequired, match="charter connect gmail"):
        credentials.refresh(credentials.access_token())
    assert vault.get(cid).status == "needs_reconnect"


def test_revocation_sends_the_refresh_token_which_outlives_the_access_token(home: CharterHome) -> None:
    sent: list[dict[str, str]] = []

    def google(request: httpx.Request) -> httpx.Response:
        sent.append(dict(parse_qsl(request.content.decode())))
        return httpx.Response(200, json={})

    vault = Vault(
        home,
        keys=KeySet.parse(generate_key(), source="test"),
        http=httpx.Client(transport=httpx.MockTransport(google)),
    )
    tokens = TokenSet("ya29.access", refresh_token="1//refresh", scopes=frozenset({GMAIL_READONLY}))
    connection = vault.add_connection(
        service="gmail",
        provider="google",
        account=ACCOUNT,
        tokens=tokens,
        api_base="https://www.googleapis.com",
        oauth_base="https://accounts.google.com",
        client_id="client.apps.googleusercontent.com",
    )
    assert vault.revoke(connection.id).remote_revoked
    assert sent == [{"token": "1//refresh"}]

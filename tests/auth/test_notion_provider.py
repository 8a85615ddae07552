"""Connecting Notion: OAuth with owner=user and HTTP Basic, rotating refresh, revocation, pasted tokens."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import text

from charter.auth.connect_notion import connect_notion, connect_notion_token
from charter.auth.crypto import KeySet, generate_key
from charter.auth.home import CharterHome
from charter.auth.providers import ClientAuth, get_provider
from charter.auth.providers.notion import CAPABILITIES, NOTION, capability_hint, introspect_notion_token
from charter.auth.vault import Vault
from charter.sandboxes.notion import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    NOTION_VERSION,
    NotionSandbox,
    seed_id,
)
from charter.schemas import AuthRequired, ConfigurationError, ValidationError

CONTENT = ["read_content", "insert_content", "update_content", "read_comments", "insert_comments"]


@pytest.fixture
def vault(home: CharterHome) -> Vault:
    return Vault(home, keys=KeySet.parse(generate_key(), source="test"))


def browser(url: str) -> None:
    httpx.get(url, follow_redirects=True)


def connect_in(vault: Vault, nsb: NotionSandbox, secret: str | None = DEFAULT_CLIENT_SECRET) -> str:
    conn = connect_notion(
        vault,
        capabilities=CONTENT,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=secret,
        oauth_base=nsb.url,
        api_base=nsb.url,
        open_browser=browser,
        timeout=5,
    )
    return conn.id


def me(nsb: NotionSandbox, token: str) -> httpx.Response:
    return httpx.get(
        f"{nsb.url}/v1/users/me",
        headers={"Authorization": f"Bearer {token}", "Notion-Version": NOTION_VERSION},
    )


def test_oauth_connects_with_owner_user_and_http_basic(vault: Vault, nsb: NotionSandbox) -> None:
    cid = connect_in(vault, nsb)
    conn = vault.get(cid)
    assert (conn.account, conn.service, conn.provider) == ("mona@acme.com", "notion", "notion")
    assert conn.scopes == set(CONTENT)
    authorize = nsb.requests.last("GET", "/v1/oauth/authorize")
    assert authorize is not None
    asked = parse_qs(authorize.query)
    assert asked["owner"] == ["user"]
    assert set(asked) == {"response_type", "client_id", "redirect_uri", "state", "owner"}, (
        "Notion's authorize URL takes no scope (capabilities live in the integration) and no PKCE"
    )
    exchange = nsb.requests.last("POST", "/v1/oauth/token")
    assert exchange is not None
    assert exchange.request_headers["authorization"].startswith("Basic ")
    assert exchange.request_headers["content-type"] == "application/json"
    assert exchange.request_headers["notion-version"] == NOTION_VERSION
    sent = json.loads(exchange.request_body)
    assert set(sent) == {"grant_type", "code", "redirect_uri"}, "no client secret, no PKCE verifier"
    assert sent["grant_type"] == "authorization_code"
    assert me(nsb, vault.credentials(cid).access_token()).status_code == 200


def test_the_provider_is_registered_with_its_quirks() -> None:
    assert get_provider("notion") is NOTION
    assert NOTION.token_auth == "client_secret_basic"
    assert NOTION.authorize_params["owner"] == "user"
    assert NOTION.missing_scopes(["read_user_info_with_email"], ["read_user_info_without_email"]) == set()
    assert "Insert content" in capability_hint(["insert_content"])
    assert set(CAPABILITIES) >= set(CONTENT)


def test_without_a_client_secret_nothing_is_sent(vault: Vault, nsb: NotionSandbox) -> None:
    with pytest.raises(ConfigurationError):
        connect_in(vault, nsb, secret="")
    assert vault.connections("notion") == []


def test_concurrent_refreshes_rotate_once_and_store_the_new_pair(vault: Vault, nsb: NotionSandbox) -> None:
    cid = connect_in(vault, nsb)
    old = vault.credentials(cid).access_token()
    nsb.tokens.expire_access_tokens()
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(vault.refresh(cid, old))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert nsb.tokens.refreshes == 1
    assert nsb.tokens.refresh_reuses == 0
    assert len(set(got)) == 1
    assert got[0] != old
    assert me(nsb, got[0]).status_code == 200
    # The rotated refresh token was stored: a second rotation works (the first one's token is dead).
    nsb.tokens.expire_access_tokens()
    third = vault.refresh(cid, got[0])
    assert me(nsb, third).status_code == 200
    assert nsb.tokens.refreshes == 2
    assert nsb.tokens.refresh_reuses == 0


def test_refresh_exchange_uses_http_basic(vault: Vault, nsb: NotionSandbox) -> None:
    cid = connect_in(vault, nsb)
    vault.refresh(cid, vault.credentials(cid).access_token())
    refresh = nsb.requests.last("POST", "/v1/oauth/token")
    assert refresh is not None
    assert json.loads(refresh.request_body)["grant_type"] == "refresh_token"
    assert refresh.request_headers["authorization"].startswith("Basic ")
    assert refresh.request_headers["notion-version"] == NOTION_VERSION


def test_a_burnt_refresh_token_asks_to_connect_again(vault: Vault, nsb: NotionSandbox) -> None:
    cid = connect_in(vault, nsb)
    nsb.tokens.revoke_all()
    with pytest.raises(AuthRequired, match="connect Notion again"):
        vault.refresh(cid, vault.credentials(cid).access_token())


def test_a_refresh_whose_answer_was_lost_says_plainly_to_connect_again(
    vault: Vault, nsb: NotionSandbox
) -> None:
    # Notion rotates the refresh token on every refresh and takes the old one only once: when the
    # answer is lost after Notion replaced it, the only working token was in that answer.
    cid = connect_in(vault, nsb)
    nsb.faults.drop_next(1, when="after", path="/v1/oauth/token")
    with pytest.raises(AuthRequired) as caught:
        vault.refresh(cid, vault.credentials(cid).access_token())
    assert "answer to a refresh was lost" in caught.value.message
    assert "charter connect notion" in caught.value.message
    assert vault.get(cid).status == "needs_reconnect"
    # Control: Notion did rotate, and the resent refresh token was the dead one.
    assert (nsb.tokens.refreshes, nsb.tokens.refresh_reuses) == (1, 1)


def test_a_refresh_dropped_before_it_reached_notion_is_sent_again(vault: Vault, nsb: NotionSandbox) -> None:
    cid = connect_in(vault, nsb)
    old = vault.credentials(cid).access_token()
    nsb.faults.drop_next(1, when="before", path="/v1/oauth/token")
    token = vault.refresh(cid, old)
    assert token != old
    assert me(nsb, token).status_code == 200
    assert vault.get(cid).status == "active"


def test_introspection_says_whether_a_token_is_active(vault: Vault, nsb: NotionSandbox) -> None:
    cid = connect_in(vault, nsb)
    token = vault.credentials(cid).access_token()
    endpoints = NOTION.endpoints(nsb.url, nsb.url)
    client = ClientAuth(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
    with httpx.Client() as http:
        assert introspect_notion_token(http, endpoints, client, token) is True
        nsb.tokens.revoke(token)
        assert introspect_notion_token(http, endpoints, client, token) is False
        with pytest.raises(ConfigurationError):
            introspect_notion_token(http, endpoints, ClientAuth(DEFAULT_CLIENT_ID, "wrong"), token)


def test_revoking_ends_the_token_at_notion(vault: Vault, nsb: NotionSandbox) -> None:
    cid = connect_in(vault, nsb)
    token = vault.credentials(cid).access_token()
    done = vault.revoke(cid)
    assert done.remote_revoked, done.detail
    assert me(nsb, token).status_code == 401


def test_a_pasted_internal_token_is_checked_and_sealed(
    vault: Vault, nsb: NotionSandbox, home: CharterHome
) -> None:
    secret = nsb.oauth.issue_internal_token()
    conn = connect_notion_token(vault, f"  {secret}\n", capabilities=["read_content"], api_base=nsb.url)
    assert conn.account == "workspace:Acme"
    assert conn.scopes == {"read_content"}
    assert vault.credentials(conn.id).access_token() == secret
    with home.engine.connect() as db:
        stored = " ".join(map(str, db.execute(text("SELECT * FROM vault_connections")).one()))
    assert secret not in stored
    assert secret not in repr(conn)
    assert secret not in repr(vault.credentials(conn.id))
    # Control: the database does hold what is not secret.
    assert "workspace:Acme" in stored
    if home.database_url is None:
        raw = b"".join(p.read_bytes() for p in home.path.glob("charter.db*"))
        assert secret.encode() not in raw
        assert b"workspace:Acme" in raw


@pytest.mark.parametrize("bad", ["", "ntn_ two words", "x" * 300])
def test_a_malformed_pasted_token_is_refused_before_any_request(
    vault: Vault, nsb: NotionSandbox, bad: str
) -> None:
    with pytest.raises(ValidationError):
        connect_notion_token(vault, bad, capabilities=["read_content"], api_base=nsb.url)
    assert len(nsb.requests) == 0


def test_a_wrong_pasted_token_saves_nothing(vault: Vault, nsb: NotionSandbox) -> None:
    with pytest.raises(AuthRequired):
        connect_notion_token(vault, "ntn_not_a_real_token", capabilities=["read_content"], api_base=nsb.url)
    assert vault.connections("notion") == []


def test_unknown_capabilities_are_refused(vault: Vault, nsb: NotionSandbox) -> None:
    with pytest.raises(ValidationError, match="read_content"):
        connect_notion_token(vault, "ntn_x", capabilities=["admin"], api_base=nsb.url)
    assert seed_id("team-home") in nsb.state.pages


def test_a_refused_pasted_token_asks_for_it_again_not_for_consent(vault: Vault, nsb: NotionSandbox) -> None:
    secret = nsb.oauth.issue_internal_token()
    conn = connect_notion_token(vault, secret, capabilities=["read_content"], api_base=nsb.url)
    nsb.tokens.revoke(secret)
    sent = len(nsb.requests)
    for _ in range(2):  # the refusal, then the connection that now needs reconnecting
        with pytest.raises(AuthRequired) as caught:
            vault.refresh(conn.id, secret)
        assert f"charter connect notion --sandbox {nsb.url} --internal" in caught.value.message
        assert "paste" in caught.value.message
    assert secret not in caught.value.message
    assert len(nsb.requests) == sent, "a pasted token has nothing to refresh with"
    again = connect_notion_token(
        vault, nsb.oauth.issue_internal_token(), capabilities=["read_content"], api_base=nsb.url
    )
    assert again.id == conn.id
    assert vault.get(conn.id).status == "active"
    # Control: an OAuth connection is told to consent again, without --internal.
    cid = connect_in(vault, nsb)
    nsb.tokens.revoke_all()
    with pytest.raises(AuthRequired) as oauth:
        vault.refresh(cid, vault.credentials(cid).access_token())
    assert "--internal" not in oauth.value.message


def test_revoking_a_pasted_token_wipes_it_and_says_where_to_end_it(vault: Vault, nsb: NotionSandbox) -> None:
    secret = nsb.oauth.issue_internal_token()
    conn = connect_notion_token(vault, secret, capabilities=["read_content"], api_base=nsb.url)
    done = vault.revoke(conn.id)
    assert not done.remote_revoked
    assert "integration settings" in done.detail
    assert nsb.requests.last("POST", "/v1/oauth/revoke") is None, "Notion has no API to end it"
    assert vault.get(conn.id).status == "revoked"
    with pytest.raises(AuthRequired):
        vault.credentials(conn.id).access_token()
    # Control: the token itself still works at Notion until the person ends it there.
    assert me(nsb, secret).status_code == 200

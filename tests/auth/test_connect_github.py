"""Connecting GitHub accounts end to end: consent in the sandbox, account lookup, saved in the vault."""

from __future__ import annotations

import httpx
import pytest

from charter.auth.connect import connect, connect_github
from charter.auth.consent import ConsentDenied
from charter.auth.crypto import KeySet, generate_key
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox
from charter.schemas import ConfigurationError


@pytest.fixture
def vault(home: CharterHome) -> Vault:
    return Vault(home, keys=KeySet.parse(generate_key(), source="test"))


def browser(url: str) -> None:
    httpx.get(url, follow_redirects=True)


def connect_in_sandbox(vault: Vault, sb: GitHubSandbox, scopes: list[str], **kwargs: object) -> str:
    conn = connect_github(
        vault,
        scopes=scopes,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        oauth_base=sb.url,
        api_base=sb.url,
        open_browser=browser,
        timeout=5,
        **kwargs,  # type: ignore[arg-type]
    )
    return conn.id


def test_connecting_saves_the_account_and_its_granted_scopes(vault: Vault, sb: GitHubSandbox) -> None:
    cid = connect_in_sandbox(vault, sb, ["repo", "read:user"])
    conn = vault.get(cid)
    assert (conn.account, conn.service, conn.provider) == ("mona", "github", "github")
    assert conn.scopes == {"repo", "read:user"}
    assert (conn.api_base, conn.oauth_base, conn.client_id) == (sb.url, sb.url, DEFAULT_CLIENT_ID)
    token = vault.credentials(cid).access_token()
    answer = httpx.get(f"{sb.url}/user", headers={"Authorization": f"token {token}"})
    assert answer.json()["login"] == "mona"


def test_the_vault_records_the_scopes_granted_not_those_requested(vault: Vault, sb: GitHubSandbox) -> None:
    sb.oauth.grant_only({"read:user"})
    cid = connect_in_sandbox(vault, sb, ["repo", "read:user"])
    assert vault.get(cid).scopes == {"read:user"}
    assert vault.credentials(cid).granted_scopes == {"read:user"}


def test_two_accounts_become_two_connections_and_reconnecting_renews_one(
    vault: Vault, sb: GitHubSandbox
) -> None:
    mona = connect_in_sandbox(vault, sb, ["repo"])
    sb.oauth.sign_in_as("hubot")
    hubot = connect_in_sandbox(vault, sb, ["repo"])
    sb.oauth.sign_in_as("mona")
    again = connect_in_sandbox(vault, sb, ["repo", "read:user"])
    assert mona != hubot
    assert again == mona
    assert {c.account for c in vault.connections("github")} == {"mona", "hubot"}
    assert vault.get(mona).scopes == {"repo", "read:user"}


def test_connecting_with_the_device_flow(vault: Vault, sb: GitHubSandbox) -> None:
    def approve(user_code: str, verification_uri: str) -> None:
        assert verification_uri.startswith(sb.url)
        httpx.post(verification_uri, data={"user_code": user_code})

    cid = connect_in_sandbox(vault, sb, ["repo"], device=True, show=approve, sleep=sb.clock.advance)
    assert vault.get(cid).account == "mona"


def test_a_declined_consent_saves_nothing(vault: Vault, sb: GitHubSandbox) -> None:
    sb.oauth.deny_consent()
    with pytest.raises(ConsentDenied):
        connect_in_sandbox(vault, sb, ["repo"])
    assert vault.connections() == []


def test_connect_by_provider_name_refuses_unknown_providers(vault: Vault) -> None:
    with pytest.raises(ConfigurationError, match="unknown provider 'gitlab'"):
        connect(vault, "gitlab", scopes=["api"], client_id="x")

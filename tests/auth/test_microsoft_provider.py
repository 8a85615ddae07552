"""Connecting SharePoint through msal: loopback + PKCE and device code, msal's cache in the vault, refresh."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from charter.auth.connect_microsoft import check_scope_mode, connect_microsoft
from charter.auth.consent.errors import CodeRejected
from charter.auth.crypto import KeySet, generate_key
from charter.auth.home import CharterHome
from charter.auth.providers import get_provider
from charter.auth.providers.microsoft import MICROSOFT, microsoft_endpoints
from charter.auth.vault import Vault
from charter.auth.vault_table import connections_table
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID, GraphSandbox
from charter.schemas import AuthRequired, ConfigurationError, UpstreamError


@pytest.fixture
def vault(home: CharterHome) -> Vault:
    """The vault of the shared `home` fixture: every test here runs on SQLite and on Postgres."""
    return Vault(home, keys=KeySet.parse(f"k1:{generate_key()}", source="test"))


def browser(url: str) -> None:
    """The person's browser: signs in on the sandbox and follows the redirect to the listener."""
    httpx.get("http://" + url.removeprefix("https://"), follow_redirects=True, timeout=10)


def connect(vault: Vault, graph: GraphSandbox, scopes: list[str], tenant: str = "organizations") -> str:
    conn = connect_microsoft(
        vault,
        scopes=scopes,
        client_id=DEFAULT_CLIENT_ID,
        authority=f"{graph.url}/{tenant}",
        api_base=graph.graph_base,
        open_browser=browser,
        timeout=10,
    )
    return conn.id


def test_loopback_sign_in_saves_the_account_and_the_granted_scopes(vault: Vault, graph: GraphSandbox) -> None:
    graph.entra.grant_only({"Files.Read.All"})
    conn = vault.get(connect(vault, graph, ["Files.Read.All", "Sites.Read.All"]))
    assert conn.account == "adele@contoso.com"
    assert conn.provider == "microsoft"
    # The person granted less than was asked: only what was granted is recorded.
    assert conn.scopes == {"Files.Read.All"}


def test_msal_cache_is_kept_encrypted_in_the_vault_and_in_no_file(
    vault: Vault, graph: GraphSandbox, tmp_path: Path
) -> None:
    cid = connect(vault, graph, ["Files.Read.All"])
    with vault.home.engine.connect() as db:
        row = db.execute(select(connections_table).where(connections_table.c.id == cid)).one()
    stored = str(row._mapping["refresh_token"])
    assert "AccessToken" not in stored
    assert "RefreshToken" not in stored
    cache = json.loads(vault._open(row, "refresh_token") or "{}")
    assert set(cache) >= {"AccessToken", "RefreshToken", "Account", "IdToken"}
    files = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert all(not name.endswith((".json", ".bin", ".cache")) for name in files), files


def test_expired_tokens_refresh_once_through_msal_for_many_threads(vault: Vault, graph: GraphSandbox) -> None:
    cid = connect(vault, graph, ["Files.Read.All"])
    first = vault.access_token(cid)
    graph.faults.expire_access_tokens()
    seen: list[str] = []

    def call() -> None:
        seen.append(vault.refresh(cid, first))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert graph.tokens.refreshes == 1
    assert len(set(seen)) == 1
    assert seen[0] != first
    assert graph.tokens.lookup(seen[0]) is not None
    assert vault.get(cid).scopes == {"Files.Read.All"}


@pytest.mark.parametrize("when", ["after", "before"])
def test_a_refresh_whose_answer_was_lost_is_sent_again(vault: Vault, graph: GraphSandbox, when: str) -> None:
    # Microsoft rotates refresh tokens but keeps the old one good: sending it again recovers, whether
    # the request was lost on the way there or its answer on the way back.
    cid = connect(vault, graph, ["Files.Read.All"])
    first = vault.access_token(cid)
    graph.faults.drop_next(1, when=when, path="/organizations/oauth2/v2.0/token")  # type: ignore[arg-type]
    token = vault.refresh(cid, first)
    assert token != first
    assert graph.tokens.lookup(token) is not None
    assert vault.get(cid).status == "active"
    assert not graph.faults.armed, "the control failed: no refresh met the fault"
    # After: Microsoft had exchanged the refresh token, and took it a second time.
    assert (graph.tokens.refreshes, graph.tokens.refresh_reuses) == ((2, 1) if when == "after" else (1, 0))


@pytest.mark.parametrize("status", [500, 503])
def test_a_failing_token_endpoint_is_a_typed_retryable_error(
    vault: Vault, graph: GraphSandbox, status: int
) -> None:
    # msal raises its own MsalServiceError for a 5xx; the vault's caller must get a Charter error.
    cid = connect(vault, graph, ["Files.Read.All"])
    first = vault.access_token(cid)
    graph.faults.fail_next(1, status=status, path="/organizations/oauth2/v2.0/token")
    with pytest.raises(UpstreamError) as caught:
        vault.refresh(cid, first)
    assert caught.value.retryable
    assert "Microsoft failed while refreshing" in caught.value.message
    assert vault.get(cid).status == "active"
    # The connection still works once Microsoft does.
    assert graph.tokens.lookup(vault.refresh(cid, first)) is not None


def test_a_revoked_grant_needs_reconnecting(vault: Vault, graph: GraphSandbox) -> None:
    cid = connect(vault, graph, ["Files.Read.All"])
    graph.faults.revoke_tokens()
    with pytest.raises(AuthRequired, match="connect Microsoft again"):
        vault.refresh(cid, vault.access_token(cid))
    assert vault.get(cid).status == "needs_reconnect"


def test_device_code_sign_in(vault: Vault, graph: GraphSandbox) -> None:
    graph.entra.device_interval = 1

    def person(user_code: str, uri: str) -> None:
        assert uri.endswith("/devicelogin")
        threading.Timer(0.1, lambda: graph.entra.approve_device(user_code)).start()

    conn = connect_microsoft(
        vault,
        scopes=["Files.Read.All"],
        client_id=DEFAULT_CLIENT_ID,
        authority=f"{graph.url}/organizations",
        api_base=graph.graph_base,
        device=True,
        show=person,
    )
    assert conn.account == "adele@contoso.com"


def test_the_tenant_is_part_of_the_authority(vault: Vault, graph: GraphSandbox) -> None:
    cid = connect(vault, graph, ["Files.Read"], tenant="consumers")
    assert vault.get(cid).oauth_base.endswith("/consumers")
    assert microsoft_endpoints(vault.get(cid).oauth_base).token.endswith("/consumers/oauth2/v2.0/token")
    with pytest.raises(Exception, match=r"(?i)tenant"):
        connect(vault, graph, ["Files.Read"], tenant="nosuchtenant")


def test_sites_selected_is_never_mixed_with_all_scopes(graph: GraphSandbox) -> None:
    before = len(graph.requests)
    with pytest.raises(ConfigurationError, match=r"Sites\.Selected"):
        check_scope_mode(["Sites.Selected", "Files.Read.All"])
    assert check_scope_mode(["Sites.Selected", "offline_access"]) == ["Sites.Selected"]
    assert len(graph.requests) == before


def test_scope_catalog_coverage_and_registration() -> None:
    assert get_provider("microsoft") is MICROSOFT
    assert (
        MICROSOFT.missing_scopes(
            {"Sites.ReadWrite.All"}, {"Files.Read.All", "Sites.Read.All", "Files.ReadWrite.All"}
        )
        == set()
    )
    assert MICROSOFT.missing_scopes({"Files.Read.All"}, {"Sites.Read.All"}) == {"Sites.Read.All"}
    # Sites.Selected reaches granted sites only; it implies no tenant-wide permission.
    assert MICROSOFT.expand({"Sites.Selected"}) == {"Sites.Selected"}


def test_web_helpers_build_the_url_and_finish_from_the_redirect(vault: Vault, graph: GraphSandbox) -> None:
    from urllib.parse import parse_qsl, urlsplit

    from charter.auth.connect_microsoft import begin_web_consent, finish_web_consent
    from charter.auth.providers.microsoft import browser_url

    authority = f"{graph.url}/organizations"
    redirect = "https://app.example/callback"
    graph.entra.register_client("web-app", None, [redirect])
    url, flow = begin_web_consent(
        scopes=["Files.Read.All"], client_id="web-app", redirect_uri=redirect, authority=authority
    )
    answer = httpx.get(browser_url(authority, url))
    query = dict(parse_qsl(urlsplit(answer.headers["location"]).query))
    forged = {**query, "state": "not-the-one"}
    with pytest.raises(CodeRejected, match="state"):
        finish_web_consent(
            vault, flow, forged, client_id="web-app", authority=authority, api_base=graph.graph_base
        )
    conn = finish_web_consent(
        vault, flow, query, client_id="web-app", authority=authority, api_base=graph.graph_base
    )
    assert conn.account == "adele@contoso.com"
    assert conn.scopes == {"Files.Read.All"}


CHILD = """
import sys
from charter.auth.home import CharterHome
from charter.auth.vault import Vault

vault = Vault(CharterHome())
print("ready", flush=True)
rejected = sys.stdin.readline().strip()
print(vault.refresh(sys.argv[1], rejected), flush=True)
"""


def test_worker_processes_refreshing_through_msal_cause_one_refresh(
    graph: GraphSandbox, home: CharterHome, worker_env: dict[str, str]
) -> None:
    import subprocess
    import sys

    key = f"k1:{generate_key()}"
    vault = Vault(home, keys=KeySet.parse(key, source="test"))
    cid = connect(vault, graph, ["Files.Read.All"])
    rejected = vault.access_token(cid)
    graph.faults.expire_access_tokens()
    graph.requests.clear()
    graph.faults.set_latency(0.2, path="/organizations/oauth2/v2.0/token")
    env = {**worker_env, "CHARTER_KEY": key}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, cid],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(rejected + "\n")
        worker.stdin.flush()
    tokens = [w.communicate(timeout=60)[0].strip() for w in workers]
    graph.faults.set_latency(0)
    assert [w.returncode for w in workers] == [0, 0, 0]
    assert graph.requests.count("POST", "/organizations/oauth2/v2.0/token") == 1
    assert graph.tokens.refresh_reuses == 0
    assert len(set(tokens)) == 1
    assert graph.tokens.lookup(tokens[0]) is not None

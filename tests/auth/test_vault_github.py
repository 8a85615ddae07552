"""The vault against the GitHub sandbox: single-flight refresh across threads and processes, revoke."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time

import httpx
import pytest

from charter.auth.consent import TokenSet
from charter.auth.crypto import KeySet, generate_key
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox
from charter.schemas import AuthRequired

TOKEN_PATH = "/login/oauth/access_token"


@pytest.fixture
def charter_key() -> str:
    return f"k1:{generate_key()}"


@pytest.fixture
def vault(home: CharterHome, charter_key: str) -> Vault:
    return Vault(home, keys=KeySet.parse(charter_key, source="test"))


def add_mona(vault: Vault, sb: GitHubSandbox, *, expires_in: float = 3600) -> str:
    """A connection holding sandbox tokens that the vault believes expire in `expires_in` seconds."""
    issued = sb.oauth.issue_token("mona", ["repo"])
    tokens = TokenSet(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_at=time.time() + expires_in,
        scopes=issued.scopes,
    )
    conn = vault.add_connection(
        service="github",
        provider="github",
        account="mona",
        tokens=tokens,
        api_base=sb.url,
        oauth_base=sb.url,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
    )
    return conn.id


def works(sb: GitHubSandbox, token: str) -> bool:
    return httpx.get(f"{sb.url}/user", headers={"Authorization": f"token {token}"}).status_code == 200


def test_many_threads_with_an_expiring_token_cause_one_refresh(vault: Vault, sb: GitHubSandbox) -> None:
    cid = add_mona(vault, sb, expires_in=5)
    sb.faults.set_latency(0.1, path=TOKEN_PATH)
    got: list[str] = []
    threads = [threading.Thread(target=lambda: got.append(vault.access_token(cid))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sb.requests.count("POST", TOKEN_PATH) == 1
    assert len(set(got)) == 1
    assert works(sb, got[0])


CHILD = """
import sys
from charter.auth.home import CharterHome
from charter.auth.vault import Vault

vault = Vault(CharterHome())
print("ready", flush=True)
sys.stdin.readline()
print(vault.access_token(sys.argv[1]), flush=True)
"""


def test_worker_processes_with_an_expiring_token_cause_one_refresh(
    vault: Vault, sb: GitHubSandbox, worker_env: dict[str, str], charter_key: str
) -> None:
    cid = add_mona(vault, sb, expires_in=5)
    sb.faults.set_latency(0.2, path=TOKEN_PATH)
    env = {**worker_env, "CHARTER_KEY": charter_key}
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
    for w in workers:
        assert w.stdout is not None
        assert w.stdout.readline().strip() == "ready"
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    tokens = [w.communicate(timeout=30)[0].strip() for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0]
    assert sb.requests.count("POST", TOKEN_PATH) == 1
    assert sb.tokens.refresh_reuses == 0
    assert len(set(tokens)) == 1
    assert works(sb, tokens[0])


def test_a_rejected_token_is_refreshed_and_the_rotated_refresh_token_kept(
    vault: Vault, sb: GitHubSandbox
) -> None:
    creds = vault.credentials(add_mona(vault, sb))
    for _ in range(3):
        old = creds.access_token()
        sb.faults.expire_access_tokens()
        assert not works(sb, old)
        new = creds.refresh(old)
        assert new != old
        assert works(sb, new)
    assert sb.tokens.refreshes == 3
    assert sb.tokens.refresh_reuses == 0


def test_a_revoked_refresh_token_asks_to_connect_again(vault: Vault, sb: GitHubSandbox) -> None:
    cid = add_mona(vault, sb, expires_in=0)
    sb.faults.revoke_tokens()
    with pytest.raises(AuthRequired, match="connect GitHub again") as caught:
        vault.access_token(cid)
    assert "charter connect github" in caught.value.message
    assert vault.get(cid).status == "needs_reconnect"


def test_an_expired_refresh_token_asks_to_connect_again(vault: Vault, sb: GitHubSandbox) -> None:
    creds = vault.credentials(add_mona(vault, sb))
    sb.faults.expire_access_tokens()
    sb.faults.expire_refresh_tokens()
    with pytest.raises(AuthRequired, match="connect GitHub again"):
        creds.refresh(creds.access_token())
    assert vault.get(creds.connection_id).status == "needs_reconnect"


def test_revoke_ends_the_token_at_github(vault: Vault, sb: GitHubSandbox) -> None:
    cid = add_mona(vault, sb)
    token = vault.access_token(cid)
    result = vault.revoke(cid)
    assert result.remote_revoked
    revoke = sb.requests.last("DELETE", f"/applications/{DEFAULT_CLIENT_ID}/token")
    assert revoke is not None
    assert revoke.status == 204
    assert not works(sb, token)
    assert vault.get(cid).status == "revoked"


def test_revoke_still_wipes_locally_when_github_is_down(vault: Vault, sb: GitHubSandbox) -> None:
    cid = add_mona(vault, sb)
    token = vault.access_token(cid)
    sb.faults.fail_next(3, status=502, path="/applications/*")
    result = vault.revoke(cid)
    assert not result.remote_revoked
    assert "502" in result.detail
    assert works(sb, token)
    with pytest.raises(AuthRequired, match="revoked"):
        vault.access_token(cid)


def test_sandbox_tokens_never_reach_logs_or_reprs(
    vault: Vault, sb: GitHubSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cid = add_mona(vault, sb, expires_in=0)
    creds = vault.credentials(cid)
    secrets = [creds.access_token(), DEFAULT_CLIENT_SECRET]
    sb.faults.fail_next(1, status=500, path="/applications/*")
    shown = [repr(vault), repr(creds), repr(vault.get(cid)), repr(vault.revoke(cid))]
    try:
        creds.access_token()
    except AuthRequired as exc:
        shown.append(str(exc))
    shown += [r.getMessage() for r in caplog.records]
    assert any("refreshed" in s for s in shown)
    assert not [s for s in shown if any(secret in s for secret in secrets)]

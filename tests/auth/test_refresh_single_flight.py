"""Refresh after a 401 is single-flight across threads and processes, and survives a lost answer.

The races are forced: every caller sends the same stale token at once (a barrier in threads, a go
signal to processes) and the token endpoint is slowed, so every 401 arrives while the first
refresh is still in flight. Removing a guard (the refresh keyed to the rejected token, the vault's
compare with the token it holds, the database lease) makes these fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from charter.auth.consent import TokenSet
from charter.auth.crypto import KeySet, generate_key
from charter.auth.home import CharterHome
from charter.auth.providers import PROVIDERS
from charter.auth.vault import Vault
from charter.connectors import Credentials
from charter.connectors.github import GitHubConnector
from charter.connectors.github.models import GetIssue
from charter.contract_tests.harnesses.gmail import EVERY_SCOPE as GMAIL_SCOPES
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox
from charter.sandboxes.google import DEFAULT_CLIENT_ID as GOOGLE_CLIENT_ID
from charter.sandboxes.google import DEFAULT_CLIENT_SECRET as GOOGLE_CLIENT_SECRET
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import AuthRequired, NoAnswer

TOKEN_PATH = "/login/oauth/access_token"
ISSUE = GetIssue(repo="acme/web", number=3)
THREADS = 50
PROCESSES = 4


@pytest.fixture
def charter_key() -> str:
    return f"k1:{generate_key()}"


@pytest.fixture
def vault(home: CharterHome, charter_key: str) -> Vault:
    return Vault(home, keys=KeySet.parse(charter_key, source="test"))


def connect_mona(vault: Vault, sb: GitHubSandbox) -> str:
    """A GitHub connection whose token the vault believes good for an hour."""
    issued = sb.oauth.issue_token("mona", ["repo"])
    tokens = TokenSet(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_at=time.time() + 3600,
        scopes=issued.scopes,
    )
    return vault.add_connection(
        service="github",
        provider="github",
        account="mona",
        tokens=tokens,
        api_base=sb.url,
        oauth_base=sb.url,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
    ).id


class Gate:
    """Credentials whose callers all take their first token together, so all send the stale one."""

    def __init__(self, inner: Credentials, barrier: threading.Barrier) -> None:
        self.inner, self.barrier = inner, barrier
        self.connection_id, self.account = inner.connection_id, inner.account
        self.granted_scopes = inner.granted_scopes
        self._started = False

    def access_token(self) -> str:
        token = self.inner.access_token()
        if not self._started:
            self._started = True
            self.barrier.wait()
        return token

    def refresh(self, rejected: str) -> str:
        return self.inner.refresh(rejected)


def works(sb: GitHubSandbox, token: str) -> bool:
    return httpx.get(f"{sb.url}/user", headers={"Authorization": f"token {token}"}).status_code == 200


def test_fifty_callers_rejected_at_once_cause_one_refresh(
    vault: Vault, sb: GitHubSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = connect_mona(vault, sb)
    sb.faults.expire_access_tokens()  # GitHub now rejects the token the vault still trusts
    sb.faults.set_latency(0.5, path=TOKEN_PATH)
    barrier = threading.Barrier(THREADS, timeout=60)
    connectors = [
        GitHubConnector(Gate(vault.credentials(cid), barrier), base_url=sb.url) for _ in range(THREADS)
    ]
    read: list[int] = []
    threads = [threading.Thread(target=lambda c=c: read.append(c.read(ISSUE).number)) for c in connectors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refreshes = sb.requests.count("POST", TOKEN_PATH)
    with capsys.disabled():  # printed on every run, -s or not
        print(f"\nfigure: {refreshes} refresh request(s) for {THREADS} callers rejected at once")
    assert read == [3] * THREADS
    assert refreshes == 1
    assert sb.tokens.refresh_reuses == 0
    assert works(sb, vault.access_token(cid))


CHILD = """
import sys
from charter.auth.home import CharterHome
from charter.auth.providers import PROVIDERS
from charter.auth.vault import Vault
from charter.connectors.github import GitHubConnector
from charter.connectors.github.models import GetIssue

class Gate:
    def __init__(self, inner):
        self.inner = inner
        self.connection_id, self.account = inner.connection_id, inner.account
        self.granted_scopes = inner.granted_scopes
        self.started = False
    def access_token(self):
        token = self.inner.access_token()
        if not self.started:
            self.started = True
            print("ready", flush=True)
            sys.stdin.readline()
        return token
    def refresh(self, rejected):
        return self.inner.refresh(rejected)

vault = Vault(CharterHome())
connector = GitHubConnector(Gate(vault.credentials(sys.argv[1])), base_url=sys.argv[2])
print(connector.read(GetIssue(repo="acme/web", number=3)).number, flush=True)
"""


def test_four_processes_rejected_at_once_cause_one_refresh(
    vault: Vault, sb: GitHubSandbox, home: CharterHome, charter_key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cid = connect_mona(vault, sb)
    sb.faults.expire_access_tokens()
    sb.faults.set_latency(0.5, path=TOKEN_PATH)
    env = {**os.environ, "CHARTER_HOME": str(home.path), "CHARTER_KEY": charter_key}
    env.pop("CHARTER_DATABASE_URL", None)
    if home.database_url:
        env["CHARTER_DATABASE_URL"] = home.database_url
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, cid, sb.url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(PROCESSES)
    ]
    # Every worker holds the stale token: now they all send it at once.
    for w in workers:
        assert w.stdout is not None
        assert w.stdout.readline().strip() == "ready"
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    outputs = [w.communicate(timeout=60)[0].strip() for w in workers]
    refreshes = sb.requests.count("POST", TOKEN_PATH)
    with capsys.disabled():
        print(f"\nfigure: {refreshes} refresh request(s) for {PROCESSES} processes rejected at once")
    assert [w.returncode for w in workers] == [0] * PROCESSES
    assert outputs == ["3"] * PROCESSES
    assert refreshes == 1
    assert sb.tokens.refresh_reuses == 0


# -- a refresh whose answer is lost ----------------------------------------------------------


def test_github_refresh_lost_after_rotation_says_plainly_to_connect_again(
    vault: Vault, sb: GitHubSandbox
) -> None:
    cid = connect_mona(vault, sb)
    rejected = vault.access_token(cid)
    sb.faults.drop_next(1, when="after", path=TOKEN_PATH)
    with pytest.raises(AuthRequired) as caught:
        vault.refresh(cid, rejected)
    message = caught.value.message
    assert "answer to a refresh was lost" in message
    assert "only once" in message
    assert "charter connect github" in message
    assert vault.get(cid).status == "needs_reconnect"
    # Control: GitHub did rotate (the lost answer held the only working refresh token).
    assert sb.tokens.refreshes == 1
    assert sb.tokens.refresh_reuses == 1


def test_github_refresh_dropped_before_it_arrived_is_sent_again(vault: Vault, sb: GitHubSandbox) -> None:
    cid = connect_mona(vault, sb)
    rejected = vault.access_token(cid)
    sb.faults.drop_next(1, when="before", path=TOKEN_PATH)
    token = vault.refresh(cid, rejected)
    assert token != rejected
    assert works(sb, token)
    assert vault.get(cid).status == "active"


def connect_google(vault: Vault, gsb: GoogleSandbox) -> str:
    access, refresh = gsb.oauth.issue_token("mona@acme.com", GMAIL_SCOPES)
    tokens = TokenSet(
        access_token=access, refresh_token=refresh, expires_at=time.time() + 3600, scopes=GMAIL_SCOPES
    )
    return vault.add_connection(
        service="gmail",
        provider="google",
        account="mona@acme.com",
        tokens=tokens,
        api_base=gsb.url,
        oauth_base=gsb.url,
        client_id=GOOGLE_CLIENT_ID,
        client_secret=GOOGLE_CLIENT_SECRET,
    ).id


@pytest.mark.parametrize("attempts", [3, 1], ids=["retried", "control-not-retried"])
def test_google_refresh_whose_answer_was_lost_is_recovered(
    home: CharterHome, charter_key: str, gsb: GoogleSandbox, attempts: int
) -> None:
    vault = Vault(home, keys=KeySet.parse(charter_key, source="test"), refresh_attempts=attempts)
    cid = connect_google(vault, gsb)
    rejected = vault.access_token(cid)
    gsb.faults.drop_next(1, when="after", path="/token")
    if attempts == 1:
        with pytest.raises(NoAnswer):
            vault.refresh(cid, rejected)
        assert gsb.tokens.refreshes == 1  # the fault hit after Google had answered
        return
    token = vault.refresh(cid, rejected)
    assert token != rejected
    assert gsb.tokens.refreshes == 2  # Google does not rotate: the same refresh token worked again
    assert vault.get(cid).status == "active"
    assert gsb.tokens.lookup(token) is not None


def test_each_provider_declares_what_a_lost_refresh_answer_leaves() -> None:
    # What the docs' table says of each provider, pinned: None does not rotate, 0 dies at once,
    # otherwise the seconds an exchanged refresh token is still taken.
    assert {name: p.refresh_reuse_window for name, p in PROVIDERS.items()} == {
        "github": 0.0,
        "google": None,
        "microsoft": 90 * 24 * 3600.0,
        "notion": 0.0,
    }


def test_the_documented_refresh_figures_are_the_ones_measured() -> None:
    # The tests above assert one refresh for THREADS and PROCESSES callers; docs/security.md quotes it.
    lines = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text().splitlines()
    for callers in (f"{THREADS} threads", f"{PROCESSES} processes"):
        assert any(line.startswith(f"| {callers} | 1 |") for line in lines), callers

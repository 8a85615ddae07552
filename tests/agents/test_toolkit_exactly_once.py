"""Through the Toolkit: a write whose answer was lost is found by a fresh Toolkit, never sent twice."""

from __future__ import annotations

import time

import pytest

from charter.agents import Toolkit
from charter.auth.consent import TokenSet
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.policy import Policy
from charter.auth.vault import Vault
from charter.connectors import MemoryWriteLedger
from charter.connectors.github import GitHubConnector
from charter.connectors.github.markers import carries
from charter.sandboxes.faults import FaultRule
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox

POLICY = Policy.from_yaml(
    """
rules:
  - outcome: allow
    actions: ["github_create_issue"]
    reason: the test bot opens issues without asking
"""
)
ISSUE = {"repo": "acme/web", "title": "Lost answer", "body": "Opened once."}


@pytest.fixture
def vault(home: CharterHome) -> Vault:
    return Vault(home, keys=KeySet.parse(f"k1:{generate_key()}", source="test"))


@pytest.fixture
def grant_token(home: CharterHome, vault: Vault, sb: GitHubSandbox) -> str:
    issued = sb.oauth.issue_token("mona", ["repo"])
    tokens = TokenSet(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_at=time.time() + 3600,
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
    grant = GrantAuthority(home).issue(
        "mona", "bot", (conn.id,), ("read", "write"), constraints={"repos": ("acme/web",)}
    )
    return grant.token


@pytest.mark.parametrize("durable", [True, False], ids=["durable-intent", "control-forgetful-ledger"])
def test_a_fresh_toolkit_finds_the_issue_whose_answer_was_lost(
    home: CharterHome,
    vault: Vault,
    sb: GitHubSandbox,
    grant_token: str,
    monkeypatch: pytest.MonkeyPatch,
    durable: bool,
) -> None:
    monkeypatch.setattr(GitHubConnector, "commit_window", 0.2)

    def kit() -> Toolkit:
        ledger = None if durable else MemoryWriteLedger()
        return Toolkit(grant_token, home=home, vault=vault, policy=POLICY, ledger=ledger)

    sb.faults.arm(FaultRule("drop_after", 1, "POST", "/repos/acme/web/issues"))
    monkeypatch.setattr(GitHubConnector, "write_attempts", 1)
    first = kit().call("github_create_issue", ISSUE, idempotency_key="open-once")
    assert first.error is not None
    assert first.error["error"] == "outcome_unknown"
    assert "charter:write=" in first.error["message"]  # says what to look for
    monkeypatch.setattr(GitHubConnector, "write_attempts", 3)

    again = kit().call("github_create_issue", ISSUE, idempotency_key="open-once")
    assert again.ok, again.error
    opened = sum(1 for i in sb.state.issues("acme/web") if carries(i.body, _key(grant_token, home)))
    assert opened == (1 if durable else 2)


def _key(grant_token: str, home: CharterHome) -> str:
    claims = GrantAuthority(home).verify(grant_token)
    return f"agent:{claims.id}:open-once"

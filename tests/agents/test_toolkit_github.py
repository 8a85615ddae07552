"""The Toolkit end to end: a consented GitHub connection in the vault, the real connector, the sandbox."""

from __future__ import annotations

import json

import pytest
from github_consent import connect_sandbox

from charter.agents import ApprovalStore, AuditLog, Toolkit
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.sandboxes.github import GitHubSandbox


@pytest.fixture
def vault(home: CharterHome) -> Vault:
    return Vault(home, keys=KeySet.parse(generate_key(), source="test"))


@pytest.fixture
def connection_id(vault: Vault, sb: GitHubSandbox) -> str:
    conn = connect_sandbox(vault, sb)
    return conn.id


def test_agent_reads_drafts_and_comments_once_after_approval(
    home: CharterHome, vault: Vault, sb: GitHubSandbox, connection_id: str
) -> None:
    grant = GrantAuthority(home).issue(
        "mona",
        "triage-bot",
        (connection_id,),
        ("read", "draft", "write"),
        constraints={"repos": ("acme/web",)},
    )
    kit = Toolkit(grant.token, home=home, vault=vault)
    assert {"github_list_issues", "github_draft_comment", "github_commit_draft"} <= {
        t.name for t in kit.tools()
    }
    assert "github_merge_pull_request" not in {t.name for t in kit.tools()}

    issues = kit.call("github_list_issues", {"repo": "acme/web"})
    assert issues.ok, issues.error
    assert issues.data["items"][0]["provenance"]["connector"] == "github"
    elsewhere = kit.call("github_list_issues", {"repo": "acme/api"})
    assert elsewhere.error is not None
    assert elsewhere.error["error"] == "grant_denied"

    before = len(sb.state.comments("acme/web", 3))
    drafted = kit.call(
        "github_draft_comment", {"repo": "acme/web", "number": 3, "body": "Reproduced on 2.4."}
    )
    assert drafted.ok, drafted.error
    paused = kit.call("github_commit_draft", {"draft_id": drafted.data["draft_id"]})
    assert paused.approval is not None
    assert len(sb.state.comments("acme/web", 3)) == before

    ApprovalStore(home).approve(paused.approval.approval_id, by="mona")
    first = kit.resume(paused.approval.approval_id)
    again = kit.resume(paused.approval.approval_id)
    assert first.ok, first.error
    assert again.data["replayed"] is True
    comments = sb.state.comments("acme/web", 3)
    assert len(comments) == before + 1
    assert "triage-bot" in comments[-1].body
    assert grant.id in comments[-1].body

    token = vault.credentials(connection_id).access_token()
    outputs = json.dumps([r.to_dict() for r in (issues, elsewhere, drafted, paused, first, again)])
    assert token not in outputs
    assert token not in home.audit_file.read_text()
    assert AuditLog(home).verify().ok


def test_listing_without_a_repo_argument_shows_only_the_granted_repos(
    home: CharterHome, vault: Vault, sb: GitHubSandbox, connection_id: str
) -> None:
    grant = GrantAuthority(home).issue(
        "mona", "triage-bot", (connection_id,), ("read",), constraints={"repos": ("acme/web",)}
    )
    unconstrained = GrantAuthority(home).issue("mona", "triage-bot", (connection_id,), ("read",))

    listed = Toolkit(grant.token, home=home, vault=vault).call("github_list_repos", {})
    everything = Toolkit(unconstrained.token, home=home, vault=vault).call("github_list_repos", {})

    assert listed.ok
    assert everything.ok
    assert [r["data"]["full_name"] for r in listed.data["items"]] == ["acme/web"]
    assert len(everything.data["items"]) > 1


def test_a_draft_cannot_be_committed_under_another_grant(
    home: CharterHome, vault: Vault, sb: GitHubSandbox, connection_id: str
) -> None:
    authority = GrantAuthority(home)
    verbs = ("read", "draft", "write")
    drafter = Toolkit(authority.issue("mona", "bot-a", (connection_id,), verbs).token, home=home, vault=vault)
    other = Toolkit(authority.issue("mona", "bot-b", (connection_id,), verbs).token, home=home, vault=vault)
    drafted = drafter.call("github_draft_issue", {"repo": "acme/web", "title": "Flaky login test"})
    assert drafted.ok, drafted.error

    adopted = other.call("github_commit_draft", {"draft_id": drafted.data["draft_id"]})

    assert adopted.error is not None
    assert adopted.error["error"] == "grant_denied"
    assert "not made under this grant" in adopted.error["message"]

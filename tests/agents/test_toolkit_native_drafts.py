"""Through the Toolkit: a Gmail draft the person approved, then edited in Gmail, is never sent."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from charter.agents import ApprovalStore, Toolkit
from charter.agents.drafts import SQLDraftStore
from charter.auth.consent.tokens import TokenSet
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.connectors.gmail import GmailConnector
from charter.contract_tests.harnesses.gmail import EVERY_SCOPE
from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox

OWNER = "mona@acme.com"
MAIL = {"to": ["lee@acme.com"], "subject": "Numbers", "body": "Q3 is fine.", "html": "<p>Q3 is fine.</p>"}


def _setup(home: CharterHome, gsb: GoogleSandbox) -> tuple[Toolkit, Vault, str]:
    vault = Vault(home)
    access, refresh = gsb.oauth.issue_token(OWNER, EVERY_SCOPE)
    conn = vault.add_connection(
        service="gmail", provider="google", account=OWNER,
        tokens=TokenSet(access_token=access, refresh_token=refresh, scopes=frozenset(EVERY_SCOPE)),
        api_base=gsb.url, oauth_base=gsb.url,
        client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET,
    )  # fmt: skip
    grant = GrantAuthority(home).issue(OWNER, "mailer", (conn.id,), ("read", "draft", "write"))
    return Toolkit(grant.token, home=home, vault=vault), vault, conn.id


def _approved_commit(home: CharterHome, kit: Toolkit) -> tuple[str, str]:
    drafted = kit.call("gmail_draft_message", MAIL)
    assert drafted.status == "ok", drafted.error
    draft_id = drafted.data["draft_id"]
    paused = kit.call("gmail_commit_draft", {"draft_id": draft_id})
    assert paused.approval is not None
    ApprovalStore(home).approve(paused.approval.approval_id, by=OWNER)
    return draft_id, paused.approval.approval_id


def _add_reply_to_in_gmail(vault: Vault, connection: str, gsb: GoogleSandbox, native_ref: str) -> None:
    users: Any = GmailConnector(vault.credentials(connection), base_url=gsb.url).users
    held = users.drafts().get(userId="me", id=native_ref, format="raw").execute()["message"]["raw"]
    message = message_from_bytes(base64.urlsafe_b64decode(held + "=="), policy=policy.SMTP)
    assert isinstance(message, EmailMessage)
    message["Reply-To"] = "attacker@evil.example"
    raw = base64.urlsafe_b64encode(message.as_bytes()).decode()
    users.drafts().update(userId="me", id=native_ref, body={"message": {"raw": raw}}).execute()


def test_an_approved_draft_edited_in_gmail_is_not_sent(home: CharterHome, gsb: GoogleSandbox) -> None:
    kit, vault, connection = _setup(home, gsb)
    draft_id, approval_id = _approved_commit(home, kit)
    draft = SQLDraftStore(home).get(draft_id)
    assert draft is not None
    _add_reply_to_in_gmail(vault, connection, gsb, str(draft.native_ref))
    result = kit.resume(approval_id)
    assert result.status == "error"
    assert result.error is not None
    assert result.error["error"] == "conflict"
    assert "changed after it was reviewed" in result.error["message"]
    assert gsb.state.gmail.sent == []


def test_an_approved_draft_left_alone_is_sent(home: CharterHome, gsb: GoogleSandbox) -> None:
    # Control: the same flow without the edit sends the mail once.
    kit, _, _ = _setup(home, gsb)
    _, approval_id = _approved_commit(home, kit)
    assert kit.resume(approval_id).status == "ok"
    assert len(gsb.state.gmail.sent) == 1

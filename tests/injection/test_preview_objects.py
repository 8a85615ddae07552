"""A paused write names its object as a person knows it: a trash approval shows subject and sender."""

from __future__ import annotations

from pathlib import Path

from world import World, furnish_mail

from charter.agents import Toolkit
from charter.agents.preview import call_preview
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.policy import Policy
from charter.auth.vault import Vault
from charter.sandboxes.google import GoogleSandbox


def test_a_trash_approval_shows_the_messages_subject_and_sender(
    google_sandbox: GoogleSandbox, tmp_path: Path
) -> None:
    google_sandbox.reset()
    furnish_mail(google_sandbox)
    home = CharterHome(tmp_path / "home")
    vault = Vault(home, keys=KeySet.parse(generate_key(), source="test"))
    # The injection set's own way of connecting Mona's mailbox (its GitHub side is unused here).
    connection, _ = World(None, google_sandbox)._connect(vault, "gmail")  # type: ignore[arg-type]
    grant = GrantAuthority(home).issue(
        "mona", "tidy-bot", (connection,), ("read", "write"), destructive=("gmail_trash_message",)
    )
    kit = Toolkit(grant.token, home=home, vault=vault, policy=Policy())
    found = kit.call("gmail_search_messages", {"query": "from:security@acme.com"})
    message_id = found.data["items"][0]["provenance"]["id"].rsplit(":", 1)[-1]
    paused = kit.call("gmail_trash_message", {"message_id": message_id})
    assert paused.approval is not None
    assert "subject: New sign-in to your account" in paused.approval.preview
    assert "security@acme.com" in paused.approval.preview


def test_a_preview_is_never_redacted_and_shows_hidden_characters() -> None:
    body = "token ghp_0123456789abcdefghijklmnopqrstuvwxyzAB \u202eevil\u202c and \x1b[2K gone"
    text = call_preview("github_comment", "Comment", {"body": body}).text()
    assert "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB" in text
    assert "[redacted]" not in text
    assert "⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩" in text
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "WARNING:" in text

"""The mail notifier: a waiting approval reaches the person by their own Gmail, once, as a link only."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import yaml

from charter.agents import ApprovalStore
from charter.agents.notifiers import CONFIG_FILE, GmailNotifier, Notice, NotifierConfig, announce
from charter.auth.consent.tokens import TokenSet
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.connectors.gmail import GmailConnector
from charter.contract_tests.harnesses.gmail import EVERY_SCOPE
from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox
from charter.schemas import ApprovalRequest, ConfigurationError, utcnow

SECRET_IN_PAYLOAD = "ghp_PayloadSecretThatMustNotBeMailed0123"


def test_a_notice_is_mailed_to_the_person_once_with_a_link_and_no_payload(
    gmail: GmailConnector, gsb: GoogleSandbox
) -> None:
    now = utcnow()
    request = ApprovalRequest(
        id="apr_mail1", grant_id="grt_1", agent="triage-bot", subject="mona", tool="github_commit_draft",
        args={"body": SECRET_IN_PAYLOAD}, payload_hash="0" * 64, preview=f"Comment: {SECRET_IN_PAYLOAD}",
        reasons=["tagged external"], created_at=now, expires_at=now + timedelta(hours=1),
    )  # fmt: skip
    notice = Notice.of(request, "http://localhost:8770/approvals", "waiting")
    notifier = GmailNotifier(gmail, "mona@acme.com")
    notifier.send(notice)
    notifier.send(notice)  # a retried notice is the same mail
    [sent] = gsb.state.gmail.sent
    assert sent.to == ("mona@acme.com",)
    assert "triage-bot" in sent.subject
    parsed = message_from_bytes(sent.raw, policy=policy.default)
    body = parsed.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "http://localhost:8770/approvals" in text
    assert "apr_mail1" in text
    assert SECRET_IN_PAYLOAD not in text
    assert SECRET_IN_PAYLOAD.encode() not in sent.raw


def _gmail_home(home: CharterHome, gsb: GoogleSandbox) -> str:
    """The home's Gmail connection to the sandbox, as `charter connect gmail` leaves it; its id."""
    access, refresh = gsb.oauth.issue_token("mona@acme.com", EVERY_SCOPE)
    return Vault(home).add_connection(
        service="gmail", provider="google", account="mona@acme.com",
        tokens=TokenSet(access_token=access, refresh_token=refresh, scopes=frozenset(EVERY_SCOPE)),
        api_base=gsb.url, oauth_base=gsb.url,
        client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET,
    ).id  # fmt: skip


def _configure(home: CharterHome, **config: object) -> None:
    (Path(home.path) / CONFIG_FILE).write_text(yaml.safe_dump(config))


def test_a_gmail_notifier_in_notifiers_yaml_mails_each_new_approval_once_as_a_link(
    home: CharterHome, gsb: GoogleSandbox
) -> None:
    connection = _gmail_home(home, gsb)
    _configure(
        home,
        link="http://localhost:8770/approvals",
        gmail=[{"connection": connection, "to": "mona@acme.com"}],
    )
    request = ApprovalStore(home).create(
        grant_id="grt_1", agent="triage-bot", subject="mona", tool="github_commit_draft",
        args={"body": SECRET_IN_PAYLOAD}, preview=f"Comment: {SECRET_IN_PAYLOAD}",
        reasons=["tagged external"],
    )  # fmt: skip
    assert announce(home, request) == 1
    assert announce(home, request) == 1  # told again (a second process): still one mail
    [sent] = gsb.state.gmail.sent
    assert sent.to == ("mona@acme.com",)
    body = message_from_bytes(sent.raw, policy=policy.default).get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "http://localhost:8770/approvals" in text
    assert request.id in text
    assert SECRET_IN_PAYLOAD not in text
    assert SECRET_IN_PAYLOAD.encode() not in sent.raw


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ({"connection": "gmail-nobody-0000", "to": "mona@acme.com"}, "does not have"),
        ({"connection": "CALENDAR", "to": "mona@acme.com"}, "needs an active Gmail connection"),
        ({"connection": "GMAIL", "to": "mona@acme.com, eve@evil.example"}, "gmail.0.to"),
        ({"connection": "GMAIL", "to": "mona@acme.com\r\nBcc: eve@evil.example"}, "gmail.0.to"),
        ({"connection": "GMAIL"}, "gmail.0.to"),
        ({"connection": "GMAIL", "to": "mona@acme.com", "cc": "eve@evil.example"}, "gmail.0.cc"),
    ],
    ids=["unknown", "other-service", "two-addresses", "header-injection", "no-address", "extra-key"],
)
def test_a_bad_gmail_entry_is_a_configuration_error_and_sends_nothing(
    home: CharterHome, gsb: GoogleSandbox, entry: dict[str, str], says: str
) -> None:
    gmail = _gmail_home(home, gsb)
    calendar = Vault(home).add_connection(
        service="calendar", provider="google", account="mona@acme.com",
        tokens=TokenSet(access_token="a", refresh_token="r", scopes=frozenset()),
        api_base=gsb.url, oauth_base=gsb.url, client_id=DEFAULT_CLIENT_ID,
    ).id  # fmt: skip
    named = {"GMAIL": gmail, "CALENDAR": calendar}
    _configure(home, gmail=[{k: named.get(v, v) for k, v in entry.items()}])
    with pytest.raises(ConfigurationError, match=re.escape(says)) as refused:
        NotifierConfig.for_home(home).notifiers(home)
    assert refused.value.code == "configuration_error"
    assert "eve@evil.example" not in refused.value.message  # where and what, never the value
    request = ApprovalStore(home).create(
        grant_id="grt_1", agent="triage-bot", subject="mona", tool="github_commit_draft",
        args={}, preview="x", reasons=["tagged external"],
    )  # fmt: skip
    assert announce(home, request) == 0
    assert gsb.state.gmail.sent == []

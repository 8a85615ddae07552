"""Quota, scopes and tokens: each failure becomes the Charter error a person or an LLM can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from charter.auth.providers.google import GMAIL_COMPOSE, GMAIL_MODIFY, GMAIL_READONLY
from charter.connectors.gmail import GmailConnector, ListLabels, SearchMessages, TrashMessage
from charter.contract_tests.running import CountingCredentials
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import AuthRequired, RateLimited, ScopeMissing

if TYPE_CHECKING:
    from conftest import MakeGmail


@pytest.mark.parametrize("style", ["429", "403 userRateLimitExceeded", "403 rateLimitExceeded"])
def test_quota_refusals_are_waited_out_never_taken_for_missing_permission(
    gsb: GoogleSandbox, gmail: GmailConnector, style: str
) -> None:
    gsb.quota.style = style  # type: ignore[assignment]
    gsb.quota.exhaust("gmail")
    page = gmail.read(SearchMessages(page_size=5))
    assert len(page.items) == 5
    assert gsb.quota.refused >= 1
    assert gsb.faults.early_retries == []


def test_a_quota_that_stays_spent_ends_as_rate_limited(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    gsb.quota.style = "403 userRateLimitExceeded"
    gsb.quota.exhaust("gmail")
    gmail.max_rate_limit_wait = 0.5
    with pytest.raises(RateLimited) as caught:
        gmail.read(ListLabels())
    assert caught.value.code == "rate_limited"


def test_batch_calls_refused_for_quota_are_sent_again_alone(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    gsb.quota.gmail_units_per_second = 100
    gsb.quota.gmail_burst_seconds = 1
    page = gmail.read(SearchMessages(page_size=40))
    assert len(page.items) == 40
    assert len({m.id for m in page.items}) == 40
    batches = gsb.requests.find("POST", "/batch/gmail/v1")
    assert len(batches) >= 2
    assert batches[1].request_body.count(b"Content-ID:") < 40


def test_a_missing_scope_is_refused_before_any_request(gsb: GoogleSandbox, make_gmail: MakeGmail) -> None:
    gmail = make_gmail([GMAIL_READONLY])
    gsb.requests.clear()
    with pytest.raises(ScopeMissing, match=r"gmail\.modify"):
        gmail.write(TrashMessage(message_id="abc"))
    assert len(gsb.requests) == 0


def test_googles_insufficient_permissions_is_scope_missing_naming_the_scope(
    gsb: GoogleSandbox, make_gmail: MakeGmail
) -> None:
    gmail = make_gmail([GMAIL_READONLY, GMAIL_COMPOSE], claimed=[GMAIL_READONLY, GMAIL_MODIFY])
    message = next(m.id for m in gsb.state.gmail.messages.values() if "INBOX" in m.label_ids)
    with pytest.raises(ScopeMissing) as caught:
        gmail.write(TrashMessage(message_id=message))
    assert GMAIL_MODIFY in caught.value.details["missing"]
    assert "TRASH" not in gsb.state.gmail.messages[message].label_ids


def test_an_expired_access_token_is_refreshed_once(gsb: GoogleSandbox, make_gmail: MakeGmail) -> None:
    gmail = make_gmail()
    counting = CountingCredentials(gmail.credentials)
    gmail = GmailConnector(counting, base_url=gsb.url)
    gsb.faults.expire_access_tokens()
    assert gmail.read(ListLabels()).items
    assert counting.refreshes == 1


def test_a_revoked_grant_asks_to_connect_again(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    gsb.faults.revoke_tokens()
    with pytest.raises(AuthRequired, match="connect"):
        gmail.read(ListLabels())


def test_tokens_never_appear_in_reprs(gmail: GmailConnector) -> None:
    token = gmail.credentials.access_token()
    assert token not in repr(gmail)
    assert token not in repr(gmail.google)
    assert token not in repr(gmail.google.http)

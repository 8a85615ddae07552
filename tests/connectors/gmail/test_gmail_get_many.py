"""Reading many messages by id: whole messages in batches of 100, gone ids named, failures not hidden."""

from __future__ import annotations

from typing import Any

import pytest

from charter.connectors.base import validate_request
from charter.connectors.gmail import GetMessage, GetMessages, GmailConnector, SearchMessages
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import UpstreamError, ValidationError


def batches(gsb: GoogleSandbox) -> list[int]:
    """How many calls each batch request carried, in order."""
    return [e.request_body.count(b"Content-ID:") for e in gsb.requests.find("POST", "/batch/gmail/v1")]


def _ids(gmail: GmailConnector, count: int) -> list[str]:
    return [m.id for m in gmail.read(SearchMessages(page_size=count)).items]


def test_messages_are_read_whole_in_one_batch_request_per_hundred(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    gsb.seed_bulk(messages=250)
    ids = _ids(gmail, 250)
    gsb.requests.clear()
    found = gmail.read(GetMessages(message_ids=ids))
    assert [m.id for m in found.items] == ids
    assert batches(gsb) == [100, 100, 50]
    assert len(gsb.requests) == 3
    # format=full: each is the message a single get returns, bodies included.
    assert found.items[7] == gmail.read(GetMessage(message_id=ids[7]))
    assert any(m.text for m in found.items)


def test_ids_gmail_does_not_have_are_named_and_the_rest_returned(gmail: GmailConnector) -> None:
    ids = _ids(gmail, 3)
    gone = "18c0ffee00000000"
    found = gmail.read(GetMessages(message_ids=[ids[0], gone, ids[1], ids[0], ids[2]]))
    # A repeated id is read once; the order is the order asked.
    assert [m.id for m in found.items] == ids
    assert found.missing == [gone]


def test_a_part_the_service_fails_fails_the_call_rather_than_going_missing(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    ids = _ids(gmail, 5)
    gsb.faults.fail_next(1, status=503, method="GET", path=f"/gmail/v1/users/me/messages/{ids[2]}")
    with pytest.raises(UpstreamError) as caught:
        gmail.read(GetMessages(message_ids=ids))
    assert caught.value.retryable
    # The control: without the fault the same call reads all five.
    assert [m.id for m in gmail.read(GetMessages(message_ids=ids)).items] == ids


def test_parts_refused_for_quota_are_sent_again(gsb: GoogleSandbox, gmail: GmailConnector) -> None:
    ids = _ids(gmail, 30)
    gsb.requests.clear()
    gsb.quota.gmail_units_per_second = 100
    gsb.quota.gmail_burst_seconds = 1
    found = gmail.read(GetMessages(message_ids=ids))
    assert [m.id for m in found.items] == ids
    assert len(batches(gsb)) >= 2
    assert found.missing == []


@pytest.mark.parametrize("ids", [[], ["not an id!"], [f"{i:016x}" for i in range(501)]])
def test_no_ids_a_malformed_id_or_more_than_500_are_refused_before_any_request(
    gsb: GoogleSandbox, gmail: GmailConnector, ids: list[str]
) -> None:
    gsb.requests.clear()
    with pytest.raises(ValidationError, match="message_ids"):
        validate_request(GmailConnector.spec("get_messages"), {"message_ids": ids})
    assert len(gsb.requests) == 0


def test_a_search_with_bodies_reads_whole_messages_in_the_floors_requests(
    gsb: GoogleSandbox, gmail: GmailConnector
) -> None:
    gsb.seed_bulk(messages=250)
    gsb.requests.clear()
    found = gmail.read(SearchMessages(query="subject:bulk", page_size=250, bodies=True))
    # One list, then the same batches a get of the ids would send: no summaries first.
    assert len(gsb.requests) == 1 + 3
    assert batches(gsb) == [100, 100, 50]
    ids = [m.id for m in found.items]
    assert found.items == gmail.read(GetMessages(message_ids=ids)).items
    assert all(m.text.startswith("Body of bulk message") for m in found.items)


def test_a_search_without_bodies_stays_a_list_of_summaries(gmail: GmailConnector) -> None:
    found = gmail.read(SearchMessages(page_size=5))
    assert found.items
    assert all(type(m).__name__ == "MessageSummary" for m in found.items)
    assert "text" not in found.model_dump()["items"][0]


@pytest.mark.parametrize(
    "odd", ["a/b", "a?format=raw", "a%2Fb", "charterIdMarker0", "x charterIdMarker0", "é", "a#b"]
)
def test_requests_built_once_per_batch_are_the_ones_discovery_builds(gmail: GmailConnector, odd: str) -> None:
    from charter.connectors.google.service import requests_by_id

    messages = gmail.users.messages()

    def build(ident: str) -> Any:
        return messages.get(userId="me", id=ident, format="metadata", metadataHeaders=["From", "To"])

    ids = ["18c2f0a1b2c3d4e5", odd, "r-123_abc", odd + "1"]
    made = requests_by_id(build, ids)
    for ident, request in zip(ids, made, strict=True):
        direct = build(ident)
        assert (request.uri, request.method, request.headers, request.body, request.methodId) == (
            direct.uri,
            direct.method,
            direct.headers,
            direct.body,
            direct.methodId,
        )
        assert request.postproc is direct.postproc or request.postproc == direct.postproc

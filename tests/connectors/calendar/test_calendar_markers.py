"""Event ids from idempotency keys, private properties, and the bodies sent to Google."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.connectors.base import Attribution
from charter.connectors.calendar import CreateEvent, UpdateEvent
from charter.connectors.calendar.bodies import attendees_after, event_body, merged_attendees, patch_body
from charter.connectors.calendar.cursors import Position, encode_cursor, position_of
from charter.connectors.calendar.markers import (
    event_id_for,
    private_properties,
    with_properties,
    write_digest,
    written_by,
)
from charter.connectors.calendar.models import ListEvents
from charter.schemas import ValidationError


@given(st.text(min_size=1, max_size=300), st.text(min_size=1, max_size=40))
def test_event_ids_are_valid_calendar_ids_and_stable(key: str, connection: str) -> None:
    ident = event_id_for(connection, key)
    assert re.fullmatch(r"[0-9a-v]{5,1024}", ident)
    assert ident == event_id_for(connection, key)


def test_different_keys_or_connections_give_different_ids() -> None:
    assert event_id_for("c1", "k1") != event_id_for("c1", "k2")
    assert event_id_for("c1", "k1") != event_id_for("c2", "k1")


def test_private_properties_name_the_agent_grant_and_write() -> None:
    props = private_properties(Attribution("planner", "grt_1"), "d1")
    assert props == {"charter_write": "d1", "charter_agent": "planner", "charter_grant": "grt_1"}
    assert private_properties(None, "d1") == {"charter_write": "d1"}


def test_properties_merge_into_those_already_on_the_event() -> None:
    event = {"extendedProperties": {"private": {"team": "blue"}, "shared": {"x": "1"}}}
    merged = with_properties(event, {"charter_write": "d2"})
    assert merged == {"private": {"team": "blue", "charter_write": "d2"}, "shared": {"x": "1"}}
    assert written_by({"extendedProperties": merged}, "d2")
    assert not written_by(event, "d2")


def test_a_new_event_body_carries_id_times_attendees_and_meet_request() -> None:
    change = CreateEvent.model_validate(
        {
            "title": "Sync",
            "start": "2025-03-14T09:00:00",
            "end": "2025-03-14T09:30:00",
            "time_zone": "Europe/Paris",
            "attendees": ["a@acme.com", "A@acme.com"],
            "optional_attendees": ["a@acme.com", "b@partner.example"],
            "add_video_call": True,
        }
    )
    digest = write_digest("conn", "key")
    body = event_body(change, private_properties(None, digest), "abcde")
    assert body["id"] == "abcde"
    assert body["start"] == {"dateTime": "2025-03-14T09:00:00", "timeZone": "Europe/Paris"}
    assert body["attendees"] == [{"email": "a@acme.com"}, {"email": "b@partner.example", "optional": True}]
    assert body["conferenceData"]["createRequest"]["requestId"] == digest
    assert body["extendedProperties"] == {"private": {"charter_write": digest}}


def test_an_all_day_body_uses_dates() -> None:
    change = CreateEvent.model_validate({"title": "Off", "start": "2025-03-14", "end": "2025-03-15"})
    body = event_body(change, {"charter_write": "d"}, "abcde")
    assert (body["start"], body["end"]) == ({"date": "2025-03-14"}, {"date": "2025-03-15"})


def test_a_patch_holds_only_what_changes_and_keeps_attendees_answers() -> None:
    current = {
        "attendees": [{"email": "ana@acme.com", "responseStatus": "accepted"}, {"email": "x@acme.com"}]
    }
    change = UpdateEvent.model_validate({"event_id": "e1", "title": "New", "add_attendees": ["bo@acme.com"]})
    assert patch_body(change, current) == {
        "summary": "New",
        "attendees": [
            {"email": "ana@acme.com", "responseStatus": "accepted"},
            {"email": "x@acme.com"},
            {"email": "bo@acme.com"},
        ],
    }
    replaced = merged_attendees(current, ["ANA@acme.com", "new@acme.com"], [])
    assert replaced == [{"email": "ana@acme.com", "responseStatus": "accepted"}, {"email": "new@acme.com"}]


def test_an_answer_replaces_only_the_accounts_own_entry() -> None:
    current = {"attendees": [{"email": "org@partner.example", "organizer": True}, {"email": "mona@acme.com"}]}
    answered = {"email": "mona@acme.com", "responseStatus": "accepted"}
    assert attendees_after(current, answered) == [
        {"email": "org@partner.example", "organizer": True},
        answered,
    ]


def test_a_cursor_continues_only_its_own_listing() -> None:
    request = ListEvents(calendar="primary")
    cursor = encode_cursor(request, Position("tok", full_sync=True))
    assert position_of(request.model_copy(update={"cursor": cursor})) == Position("tok", True)
    other = ListEvents(calendar="team@group.calendar.google.com", cursor=cursor)
    with pytest.raises(ValidationError, match="different listing"):
        position_of(other)
    with pytest.raises(ValidationError, match="not one this connector issued"):
        position_of(ListEvents(cursor="garbage!"))

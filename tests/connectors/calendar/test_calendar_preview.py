"""A proposed event's preview says when, who (inside or outside the domain), how and by whom."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from charter.connectors.base import Attribution
from charter.connectors.calendar import CreateEvent
from charter.connectors.calendar.preview import describe_when, event_preview, excerpt, is_outside

ACCOUNT = "mona@acme.com"
PARIS = timezone(timedelta(hours=1))


def proposal(**overrides: Any) -> CreateEvent:
    fields = {
        "title": "Contract review",
        "start": "2025-03-14T09:00:00Z",
        "end": "2025-03-14T10:30:00Z",
        **overrides,
    }
    return CreateEvent.model_validate(fields)


def test_times_are_shown_in_the_calendars_zone_with_its_offset() -> None:
    text = event_preview(proposal(), account=ACCOUNT, zone="Europe/Paris", attribution=None)
    assert "When: Fri 14 Mar 2025, 10:00-11:30 (Europe/Paris, UTC+01:00)" in text


def test_the_events_own_time_zone_wins_over_the_calendars() -> None:
    change = proposal(time_zone="America/New_York")
    text = event_preview(change, account=ACCOUNT, zone="Europe/Paris", attribution=None)
    assert "05:00-06:30 (America/New_York, UTC-04:00)" in text


def test_without_a_zone_the_offset_given_is_shown() -> None:
    assert (
        describe_when(datetime(2025, 3, 14, 9, tzinfo=PARIS), datetime(2025, 3, 15, 9, tzinfo=PARIS), None)
        == "Fri 14 Mar 2025, 09:00-Sat 15 Mar 2025, 09:00 (UTC+01:00)"
    )


def test_all_day_events_show_their_dates_with_an_exclusive_end() -> None:
    assert describe_when(date(2025, 3, 14), date(2025, 3, 15), None) == "Fri 14 Mar 2025, all day (1 day)"
    assert describe_when(date(2025, 3, 14), date(2025, 3, 17), "Europe/Paris") == (
        "Fri 14 Mar 2025 - Sun 16 Mar 2025, all day (3 days)"
    )


def test_attendees_are_marked_inside_or_outside_the_domain() -> None:
    change = proposal(attendees=["ana@acme.com", "bob@partner.example"], optional_attendees=["cy@ACME.com"])
    text = event_preview(change, account=ACCOUNT, zone=None, attribution=None)
    assert "Attendees (3):" in text
    assert "  - ana@acme.com: inside acme.com" in text
    assert "  - bob@partner.example: OUTSIDE acme.com" in text
    assert "  - cy@ACME.com (optional): inside acme.com" in text
    assert "Invitations: Google emails the invitation to every attendee" in text


def test_conferencing_description_and_attribution_are_shown() -> None:
    change = proposal(add_video_call=True, description="word " * 200, location="Room 4")
    text = event_preview(change, account=ACCOUNT, zone=None, attribution=Attribution("planner", "grt_1"))
    assert "Video call: a Google Meet link is added on creation" in text
    assert "Where: Room 4" in text
    # The description is shown whole, as guests will read it: never cut.
    assert "Description:\n" + "word " * 200 in text + " "
    assert "agent `planner` under grant `grt_1`" in text


def test_an_event_without_attendees_says_so() -> None:
    text = event_preview(proposal(), account=ACCOUNT, zone=None, attribution=None)
    assert "Attendees: none" in text
    assert "Invitations" not in text


def test_every_address_is_outside_when_the_accounts_domain_is_unknown() -> None:
    assert is_outside("ana@acme.com", "mona")
    assert not is_outside("ana@Acme.COM", ACCOUNT)
    assert is_outside("ana@acme.com.evil.example", ACCOUNT)


def test_an_excerpt_flattens_whitespace() -> None:
    assert excerpt("a\n\n b\tc") == "a b c"

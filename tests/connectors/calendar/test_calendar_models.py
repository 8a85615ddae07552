"""Calendar request models refuse what Google would refuse, before anything is sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.connectors.base import recipient_fields, validate_request
from charter.connectors.calendar import CalendarConnector, CreateEvent, FreeBusyQuery, ListEvents, UpdateEvent
from charter.schemas import ValidationError

START = "2025-03-14T09:00:00+01:00"
END = "2025-03-14T10:00:00+01:00"


def create(**overrides: Any) -> dict[str, Any]:
    return {"title": "Planning", "start": START, "end": END, **overrides}


def invalid(action: str, args: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_request(CalendarConnector.spec(action), args)
    return caught.value.message


def test_a_date_is_an_all_day_event_and_a_date_time_a_timed_one() -> None:
    all_day = CreateEvent.model_validate(create(start="2025-03-14", end="2025-03-15"))
    timed = CreateEvent.model_validate(create())
    assert type(all_day.start) is date
    assert isinstance(timed.start, datetime)
    assert timed.start.utcoffset() == timedelta(hours=1)


def test_times_without_an_offset_need_a_time_zone() -> None:
    assert "time_zone" in invalid(
        "create_event", create(start="2025-03-14T09:00:00", end="2025-03-14T10:00:00")
    )
    zoned = create(start="2025-03-14T09:00:00", end="2025-03-14T10:00:00", time_zone="Europe/Paris")
    assert CreateEvent.model_validate(zoned).time_zone == "Europe/Paris"


def test_an_unknown_time_zone_is_refused() -> None:
    assert "IANA" in invalid("create_event", create(time_zone="Mars/Olympus"))


def test_an_event_must_end_after_it_starts() -> None:
    assert "end must be after start" in invalid("create_event", create(end=START))
    assert "exclusive" in invalid("create_event", create(start="2025-03-14", end="2025-03-14"))


def test_start_and_end_must_be_of_one_kind() -> None:
    assert "both be dates" in invalid("create_event", create(end="2025-03-15"))


def test_a_repeating_timed_event_needs_a_time_zone() -> None:
    assert "time_zone" in invalid("create_event", create(recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]))


def test_attendees_must_be_addresses() -> None:
    assert "attendees" in invalid("create_event", create(attendees=["not an address"]))


def test_attendee_fields_are_recipient_fields() -> None:
    assert set(recipient_fields(CreateEvent)) == {"attendees", "optional_attendees"}
    assert set(recipient_fields(UpdateEvent)) == {"attendees", "add_attendees"}


def test_an_update_must_change_something() -> None:
    assert "at least one thing" in invalid("update_event", {"event_id": "abc123"})
    assert "both start and end" in invalid("update_event", {"event_id": "abc123", "start": START})


def test_a_window_needs_offsets_and_order() -> None:
    assert "offset" in invalid("list_events", {"time_min": "2025-03-14T09:00:00"})
    assert "after time_min" in invalid("list_events", {"time_min": END, "time_max": START})


def test_ordering_by_start_time_needs_single_events() -> None:
    assert "single_events" in invalid("list_events", {"single_events": False})
    assert ListEvents(single_events=False, order_by=None).order_by is None


def test_page_sizes_stop_at_googles_maxima() -> None:
    assert ListEvents().page_size == 2500
    assert "page_size" in invalid("list_events", {"page_size": 2501})
    assert "page_size" in invalid("list_calendars", {"page_size": 251})


def test_free_busy_takes_up_to_fifty_calendars() -> None:
    window = {"time_min": START, "time_max": END}
    assert "calendars" in invalid("free_busy", {**window, "calendars": [f"p{i}@acme.com" for i in range(51)]})
    assert len(FreeBusyQuery.model_validate({**window, "calendars": ["primary"]}).calendars) == 1


def test_calendar_ids_cannot_smuggle_paths() -> None:
    assert "calendar" in invalid("get_event", {"calendar": "../users/me", "event_id": "abc"})
    assert "event_id" in invalid("get_event", {"event_id": "abc/def"})


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=1, max_value=7 * 24 * 60),
)
def test_any_positive_duration_with_an_offset_is_accepted(start: datetime, minutes: int) -> None:
    begin = start.replace(tzinfo=UTC)
    change = CreateEvent.model_validate(
        create(start=begin.isoformat(), end=(begin + timedelta(minutes=minutes)).isoformat())
    )
    assert change.end > change.start  # type: ignore[operator]

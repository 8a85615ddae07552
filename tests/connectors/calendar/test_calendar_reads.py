"""Calendar reads through google-api-python-client against the Google sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from charter.auth.providers.google import CALENDAR_CALENDARLIST_READONLY
from charter.connectors.calendar import (
    CalendarConnector,
    FreeBusyQuery,
    GetEvent,
    ListCalendars,
    ListEvents,
    SyncEvents,
)
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import NotFound, RateLimited, ScopeMissing

TEAM = "c_7f3a9e2b41d8acme.team@group.calendar.google.com"
Connect = Callable[..., CalendarConnector]


def today(sb: GoogleSandbox) -> datetime:
    now = datetime.fromtimestamp(sb.clock.now(), tz=UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def event_requests(sb: GoogleSandbox) -> list[str]:
    return [e.query for e in sb.requests.entries if e.path.endswith("/events")]


def test_calendars_list_with_ids_titles_zones_and_access(calendar: CalendarConnector) -> None:
    page = calendar.read(ListCalendars())
    by_id = {c.calendar_id: c for c in page.items}
    assert by_id["mona@acme.com"].primary
    assert by_id[TEAM].title == "Acme Platform Team"
    assert by_id[TEAM].access_role == "writer"
    assert all(c.time_zone for c in page.items)


def test_tomorrows_events_come_in_start_order(calendar: CalendarConnector, gsb: GoogleSandbox) -> None:
    tomorrow = today(gsb) + timedelta(days=1)
    page = calendar.read(ListEvents(time_min=tomorrow, time_max=tomorrow + timedelta(days=1)))
    assert [e.title for e in page.items] == ["Dentist", "Q3 planning offsite", "1:1 with Lee"]
    offsite = page.items[1]
    assert offsite.location == "Atlas room"
    assert {a.email for a in offsite.attendees} >= {"lee@acme.com", "priya@acme.com"}
    assert offsite.provenance.connector == "calendar"


def test_a_listing_asks_for_googles_maximum_page_in_one_request(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    gsb.seed_bulk(events=600)
    before = len(gsb.requests)
    page = calendar.read(ListEvents())
    assert len(page.items) > 600
    assert page.next_cursor is None
    assert len(gsb.requests) - before == 1
    assert "maxResults=2500" in event_requests(gsb)[-1]


def test_a_search_finds_the_partner_invitation(calendar: CalendarConnector) -> None:
    page = calendar.read(ListEvents(query="renewal"))
    assert [e.title for e in page.items] == ["Partner sync: agreement renewal"]
    invitation = page.items[0]
    assert invitation.organizer == "dana@partner.example"
    assert invitation.my_response == "needsAction"


def test_cursors_walk_every_page_once(calendar: CalendarConnector) -> None:
    titles = [e.event_id for e in calendar.collect(ListEvents(calendar=TEAM, page_size=4))]
    assert len(titles) == len(set(titles)) > 12


def test_get_event_gives_the_details_and_etag(calendar: CalendarConnector) -> None:
    listed = calendar.read(ListEvents(query="Dentist")).items[0]
    event = calendar.read(GetEvent(event_id=listed.event_id))
    assert event.title == "Dentist"
    assert event.etag
    assert event.start is not None
    assert event.start.date_time is not None


def test_a_missing_event_is_not_found(calendar: CalendarConnector) -> None:
    with pytest.raises(NotFound, match="event nosuchevent0 on calendar primary"):
        calendar.read(GetEvent(event_id="nosuchevent0"))


def test_free_busy_merges_busy_times_and_names_unknown_people(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    tomorrow = today(gsb) + timedelta(days=1)
    answer = calendar.read(
        FreeBusyQuery(
            calendars=["primary", "stranger@elsewhere.example"],
            time_min=tomorrow,
            time_max=tomorrow + timedelta(days=1),
        )
    )
    mine, stranger = answer.calendars
    assert [(b.start.hour, b.end.hour) for b in mine.busy] == [(7, 8), (10, 16), (16, 17)]
    assert stranger.errors == ["notFound"]


def test_reading_events_without_the_scope_is_refused_before_sending(
    connect: Connect, gsb: GoogleSandbox
) -> None:
    lister = connect([CALENDAR_CALENDARLIST_READONLY])
    before = len(gsb.requests)
    with pytest.raises(ScopeMissing, match=r"calendar\.events\.readonly"):
        lister.read(ListEvents())
    assert len(gsb.requests) == before


@pytest.mark.parametrize("status", [429, 403])
def test_a_quota_refusal_is_waited_out_not_reported_as_a_permission_error(
    calendar: CalendarConnector, gsb: GoogleSandbox, status: int
) -> None:
    gsb.faults.rate_limit_next(1, retry_after=2, status=status)
    page = calendar.read(ListCalendars())
    assert page.items
    assert gsb.faults.early_retries == []


def test_a_quota_wait_longer_than_allowed_is_reported(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    gsb.faults.rate_limit_next(1, retry_after=120, status=403)
    with pytest.raises(RateLimited):
        calendar.read(ListCalendars())


# -- incremental sync -----------------------------------------------------------------------


def full_sync(calendar: CalendarConnector, request: SyncEvents) -> tuple[list[str], str]:
    ids: list[str] = []
    while True:
        page = calendar.read(request)
        ids += [e.event_id for e in page.items]
        if page.next_cursor is None:
            assert page.next_sync_token
            return ids, page.next_sync_token
        request = request.model_copy(update={"cursor": page.next_cursor})


def test_a_repeat_sync_with_no_changes_costs_one_request(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    ids, token = full_sync(calendar, SyncEvents(calendar=TEAM, page_size=5))
    assert len(ids) > 10
    before = len(gsb.requests)
    again = calendar.read(SyncEvents(calendar=TEAM, sync_token=token))
    assert len(gsb.requests) - before == 1
    assert again.items == []
    assert not again.full_sync
    assert again.next_sync_token


def test_a_sync_reports_only_what_changed_including_deletions(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    _, token = full_sync(calendar, SyncEvents())
    with gsb.lock:
        dentist = next(e for e in gsb.state.calendar.events() if e["summary"] == "Dentist")
        primary = gsb.state.calendar.primary
        dentist["status"] = "cancelled"
        gsb.state.calendar.stamp(primary, dentist)
    changes = calendar.read(SyncEvents(sync_token=token))
    assert [(e.event_id, e.status) for e in changes.items] == [(dentist["id"], "cancelled")]


def test_an_expired_sync_token_falls_back_to_a_full_sync_and_says_so(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    everything, token = full_sync(calendar, SyncEvents(calendar=TEAM))
    gsb.state.calendar.expire_sync_tokens()
    request = SyncEvents(calendar=TEAM, sync_token=token, page_size=5)
    first = calendar.read(request)
    assert first.full_sync
    assert first.full_sync_reason is not None
    assert "410" in first.full_sync_reason
    ids = [e.event_id for e in first.items]
    rest, new_token = full_sync(calendar, request.model_copy(update={"cursor": first.next_cursor}))
    assert sorted(ids + rest) == sorted(everything)
    assert calendar.read(SyncEvents(calendar=TEAM, sync_token=new_token)).items == []

"""Calendar v3 on the sandbox through google-api-python-client: windows, paging, sync tokens, writes."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from charter.sandboxes.google import GoogleSandbox
from charter.sandboxes.google.calendar.seed import TEAM

Build = Callable[..., Any]


def _day(offset: int) -> datetime:
    now = datetime.now(tz=UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=offset)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _all(calendar: Any, **params: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = calendar.events().list(pageToken=token, **params).execute()
        items += page["items"]
        token = page.get("nextPageToken")
        if token is None:
            return items, page


def _status(exc: pytest.ExceptionInfo[HttpError]) -> int:
    return int(exc.value.resp.status)


def test_calendar_list_has_primary_team_and_a_read_only_calendar(calendar: Any) -> None:
    entries = {c["id"]: c for c in calendar.calendarList().list().execute()["items"]}
    assert entries["mona@acme.com"]["primary"] is True
    assert entries[TEAM]["accessRole"] == "writer"
    assert any(c["accessRole"] == "reader" for c in entries.values())


def test_tomorrows_window_and_the_outside_invitation(calendar: Any) -> None:
    tomorrow, _ = _all(
        calendar,
        calendarId="primary",
        timeMin=_iso(_day(1)),
        timeMax=_iso(_day(2)),
        singleEvents=True,
        orderBy="startTime",
    )
    assert "Q3 planning offsite" in [e["summary"] for e in tomorrow]
    invitations, _ = _all(calendar, calendarId="primary", q="partner.example")
    pending = [
        e
        for e in invitations
        for a in e.get("attendees", [])
        if a.get("self") and a["responseStatus"] == "needsAction"
    ]
    assert pending
    assert pending[0]["organizer"]["email"] == "dana@partner.example"


def test_order_by_start_time_needs_single_events(calendar: Any) -> None:
    with pytest.raises(HttpError) as refused:
        calendar.events().list(calendarId="primary", orderBy="startTime").execute()
    assert _status(refused) == 400


def test_pages_of_2500_reach_the_end_with_unique_ids(gsb: GoogleSandbox, calendar: Any) -> None:
    gsb.seed_bulk(events=2600)
    items, last = _all(calendar, calendarId="primary", maxResults=9999)
    ids = [e["id"] for e in items]
    assert len(ids) == len(set(ids)) == len(gsb.state.calendar.events("primary"))
    assert gsb.requests.count("GET", "/calendar/v3/calendars/primary/events") == 2
    assert "nextSyncToken" in last


def test_sync_token_returns_only_changes_then_410_once_expired(gsb: GoogleSandbox, calendar: Any) -> None:
    _, first = _all(calendar, calendarId="primary")
    token = first["nextSyncToken"]
    unchanged = calendar.events().list(calendarId="primary", syncToken=token).execute()
    assert unchanged["items"] == []
    created = (
        calendar.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "New",
                "start": {"dateTime": _iso(_day(3))},
                "end": {"dateTime": _iso(_day(3) + timedelta(hours=1))},
            },
        )
        .execute()
    )
    removed = gsb.state.calendar.events("primary")[0]["id"]
    calendar.events().delete(calendarId="primary", eventId=removed).execute()
    delta = calendar.events().list(calendarId="primary", syncToken=token).execute()
    assert {(e["id"], e["status"]) for e in delta["items"]} == {
        (created["id"], "confirmed"),
        (removed, "cancelled"),
    }
    gsb.state.calendar.expire_sync_tokens()
    with pytest.raises(HttpError) as gone:
        calendar.events().list(calendarId="primary", syncToken=delta["nextSyncToken"]).execute()
    assert _status(gone) == 410
    assert gone.value.error_details[0]["reason"] == "fullSyncRequired"  # type: ignore[index]


def test_sync_token_refuses_a_time_window(calendar: Any) -> None:
    _, first = _all(calendar, calendarId="primary")
    with pytest.raises(HttpError) as refused:
        calendar.events().list(
            calendarId="primary", syncToken=first["nextSyncToken"], timeMin=_iso(_day(0))
        ).execute()
    assert _status(refused) == 400


def test_insert_patch_update_delete_with_guest_updates(gsb: GoogleSandbox, calendar: Any) -> None:
    body = {
        "summary": "Proposal review",
        "start": {"dateTime": _iso(_day(2) + timedelta(hours=11))},
        "end": {"dateTime": _iso(_day(2) + timedelta(hours=12))},
        "attendees": [{"email": "dana@partner.example"}, {"email": "lee@acme.com"}],
        "extendedProperties": {"private": {"charter.agent": "assistant"}},
    }
    events = calendar.events()
    created = events.insert(calendarId="primary", body=body, sendUpdates="externalOnly").execute()
    assert created["organizer"] == {"email": "mona@acme.com", "self": True}
    assert {a["responseStatus"] for a in created["attendees"]} == {"needsAction"}
    assert created["iCalUID"] == created["id"] + "@google.com"
    assert gsb.state.calendar.notifications[-1].recipients == ("dana@partner.example",)
    patched = events.patch(
        calendarId="primary",
        eventId=created["id"],
        body={"extendedProperties": {"private": {"charter.grant": "g1"}}},
    ).execute()
    assert patched["extendedProperties"]["private"] == {"charter.agent": "assistant", "charter.grant": "g1"}
    assert patched["etag"] != created["etag"]
    moved = {
        **body,
        "start": {"dateTime": _iso(_day(4))},
        "end": {"dateTime": _iso(_day(4) + timedelta(hours=1))},
    }
    updated = events.update(
        calendarId="primary", eventId=created["id"], body=moved, sendUpdates="none"
    ).execute()
    assert updated["sequence"] == 1
    assert updated["created"] == created["created"]
    found, _ = _all(calendar, calendarId="primary", privateExtendedProperty="charter.agent=assistant")
    assert [e["id"] for e in found] == [created["id"]]
    events.delete(calendarId="primary", eventId=created["id"], sendUpdates="all").execute()
    assert gsb.state.calendar.notifications[-1].action == "cancelled"
    with pytest.raises(HttpError) as deleted:
        events.get(calendarId="primary", eventId=created["id"]).execute()
    assert _status(deleted) == 410


def test_responding_to_an_invitation(calendar: Any, gsb: GoogleSandbox) -> None:
    invite = next(
        e for e in gsb.state.calendar.events("primary") if e["organizer"]["email"] == "dana@partner.example"
    )
    attendees = [{**a, "responseStatus": "accepted"} if a.get("self") else a for a in invite["attendees"]]
    calendar.events().patch(
        calendarId="primary", eventId=invite["id"], body={"attendees": attendees}
    ).execute()
    mine = next(a for a in gsb.state.calendar.find_event(invite["id"])["attendees"] if a.get("self"))  # type: ignore[index]
    assert mine["responseStatus"] == "accepted"


def test_stale_etag_and_read_only_calendar_are_refused(calendar: Any, gsb: GoogleSandbox) -> None:
    event = gsb.state.calendar.events("primary")[0]
    request = calendar.events().patch(calendarId="primary", eventId=event["id"], body={"summary": "x"})
    request.headers["If-Match"] = '"0"'
    with pytest.raises(HttpError) as stale:
        request.execute()
    assert _status(stale) == 412
    reader = next(c.id for c in gsb.state.calendar.calendars.values() if c.access_role == "reader")
    with pytest.raises(HttpError) as refused:
        calendar.events().insert(
            calendarId=reader, body={"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}}
        ).execute()
    assert _status(refused) == 403


def test_insert_without_an_end_is_refused(calendar: Any) -> None:
    with pytest.raises(HttpError) as refused:
        calendar.events().insert(calendarId="primary", body={"start": {"dateTime": _iso(_day(1))}}).execute()
    assert _status(refused) == 400


def test_free_busy_merges_busy_time_and_skips_free_events(build: Build) -> None:
    freebusy = build("calendar", ["calendar.freebusy"])
    answer = (
        freebusy.freebusy()
        .query(
            body={
                "timeMin": _iso(_day(1)),
                "timeMax": _iso(_day(3)),
                "items": [{"id": "primary"}, {"id": "nobody@x.example"}],
            }
        )
        .execute()
    )
    busy = answer["calendars"]["primary"]["busy"]
    assert busy
    assert all(b["start"] < b["end"] for b in busy)
    assert all(a["end"] < b["start"] for a, b in itertools.pairwise(busy))
    assert answer["calendars"]["nobody@x.example"]["errors"][0]["reason"] == "notFound"
    with pytest.raises(HttpError) as no_events:
        freebusy.events().list(calendarId="primary").execute()
    assert _status(no_events) == 403

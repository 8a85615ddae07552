"""Calendar drafts and writes through google-api-python-client against the Google sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from charter.auth.policy import Policy, check_constraints
from charter.connectors.base import Attribution, constrained_fields
from charter.connectors.calendar import (
    CalendarConnector,
    CreateEvent,
    DeleteEvent,
    GetEvent,
    ListEvents,
    RespondToInvitation,
    UpdateEvent,
)
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import Conflict, GrantClaims, NotFound, ScopeMissing

AGENT = Attribution("planner", "grt_cal")
TEAM = "c_7f3a9e2b41d8acme.team@group.calendar.google.com"


def meeting(sb: GoogleSandbox, **overrides: Any) -> CreateEvent:
    start = datetime.fromtimestamp(sb.clock.now(), tz=UTC).replace(minute=0, second=0, microsecond=0)
    start += timedelta(days=2)
    fields = {
        "title": "Renewal prep",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=45)).isoformat(),
        "attendees": ["lee@acme.com", "dana@partner.example"],
        "description": "Go through the redlines before the partner sync.",
        **overrides,
    }
    return CreateEvent.model_validate(fields)


def stored(sb: GoogleSandbox, title: str) -> list[dict[str, Any]]:
    with sb.lock:
        return [e for e in sb.state.calendar.events() if e.get("summary") == title]


def seeded(sb: GoogleSandbox, title: str) -> dict[str, Any]:
    with sb.lock:
        return next(e for e in sb.state.calendar.events() if e.get("summary") == title)


def test_a_draft_stays_in_charter_until_written(calendar: CalendarConnector, gsb: GoogleSandbox) -> None:
    draft = calendar.draft(meeting(gsb), attribution=AGENT)
    assert stored(gsb, "Renewal prep") == []
    assert draft.location == "store"
    assert "(UTC, UTC+00:00)" in draft.preview
    assert "dana@partner.example: OUTSIDE acme.com" in draft.preview
    result = calendar.write(draft.id, attribution=AGENT)
    [event] = stored(gsb, "Renewal prep")
    assert result.id == f"primary:{event['id']}"
    assert result.draft_id == draft.id


def test_an_agents_event_names_the_agent_and_grant_privately(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    calendar.write(meeting(gsb), attribution=AGENT)
    [event] = stored(gsb, "Renewal prep")
    private = event["extendedProperties"]["private"]
    assert (private["charter_agent"], private["charter_grant"]) == ("planner", "grt_cal")
    read = calendar.read(GetEvent(event_id=event["id"]))
    assert (read.written_by_agent, read.written_under_grant) == ("planner", "grt_cal")


def test_creating_invites_the_attendees(calendar: CalendarConnector, gsb: GoogleSandbox) -> None:
    calendar.write(meeting(gsb))
    [event] = stored(gsb, "Renewal prep")
    assert {a["email"] for a in event["attendees"]} == {"lee@acme.com", "dana@partner.example"}
    [sent] = gsb.state.calendar.notifications
    assert set(sent.recipients) == {"lee@acme.com", "dana@partner.example"}


def test_a_video_call_is_requested_from_google(calendar: CalendarConnector, gsb: GoogleSandbox) -> None:
    calendar.write(meeting(gsb, add_video_call=True))
    insert = gsb.requests.last("POST")
    assert insert is not None
    assert "conferenceDataVersion=1" in insert.query
    [event] = stored(gsb, "Renewal prep")
    assert event["conferenceData"]["createRequest"]["conferenceSolutionKey"] == {"type": "hangoutsMeet"}


def test_a_retried_insert_finds_the_event_instead_of_duplicating_it(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    gsb.faults.drop_next(1, method="POST", when="after")
    result = calendar.write(meeting(gsb))
    assert gsb.faults.armed == []
    assert len(stored(gsb, "Renewal prep")) == 1
    assert result.id.startswith("primary:")


def test_an_update_patches_only_what_it_names_under_if_match(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    laptop = seeded(gsb, "Laptop replacement at IT desk")
    calendar.write(UpdateEvent(event_id=laptop["id"], location="IT desk, 2nd floor"))
    patch = gsb.requests.last("PATCH")
    assert patch is not None
    assert patch.request_headers.get("if-match") == laptop["etag"]
    after = seeded(gsb, "Laptop replacement at IT desk")
    assert after["location"] == "IT desk, 2nd floor"
    assert after["start"] == laptop["start"]


def test_a_stale_etag_is_refused_before_sending(calendar: CalendarConnector, gsb: GoogleSandbox) -> None:
    laptop = seeded(gsb, "Laptop replacement at IT desk")
    with pytest.raises(Conflict, match="changed since you read it"):
        calendar.write(UpdateEvent(event_id=laptop["id"], title="Moved", expected_etag='"1"'))
    assert gsb.requests.last("PATCH") is None


def test_a_change_made_meanwhile_is_not_overwritten(
    calendar: CalendarConnector, gsb: GoogleSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop = seeded(gsb, "Laptop replacement at IT desk")
    read = calendar._event

    def someone_edits_after_the_read(calendar_id: str, event_id: str) -> dict[str, Any]:
        data = read(calendar_id, event_id)
        with gsb.lock:
            event = gsb.state.calendar.primary.events[event_id]
            event["location"] = "Moved by Lee"
            gsb.state.calendar.stamp(gsb.state.calendar.primary, event)
        return data

    monkeypatch.setattr(calendar, "_event", someone_edits_after_the_read)
    with pytest.raises(Conflict):
        calendar.write(UpdateEvent(event_id=laptop["id"], location="Mine"))
    assert seeded(gsb, "Laptop replacement at IT desk")["location"] == "Moved by Lee"


def test_adding_attendees_keeps_the_answers_of_those_invited(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    offsite = seeded(gsb, "Q3 planning offsite")
    calendar.write(UpdateEvent(event_id=offsite["id"], add_attendees=["new.hire@acme.com"]))
    people = {a["email"]: a.get("responseStatus") for a in seeded(gsb, "Q3 planning offsite")["attendees"]}
    assert people["mona@acme.com"] == "accepted"
    assert people["new.hire@acme.com"] == "needsAction"


def test_answering_an_invitation_tells_the_organizer(calendar: CalendarConnector, gsb: GoogleSandbox) -> None:
    invitation = seeded(gsb, "Partner sync: agreement renewal")
    change = RespondToInvitation(event_id=invitation["id"], response="tentative", comment="Might run late.")
    result = calendar.write(change, attribution=AGENT)
    assert "tentative" in result.summary
    mine = next(a for a in seeded(gsb, "Partner sync: agreement renewal")["attendees"] if a.get("self"))
    assert (mine["responseStatus"], mine["comment"]) == ("tentative", "Might run late.")
    assert "dana@partner.example" in gsb.state.calendar.notifications[-1].recipients
    listed = calendar.read(ListEvents(query="renewal")).items[0]
    assert listed.my_response == "tentative"


@pytest.mark.parametrize(("title", "problem"), [("Dentist", "not invited"), ("1:1 with Lee", "organizes")])
def test_only_invitations_can_be_answered(
    calendar: CalendarConnector, gsb: GoogleSandbox, title: str, problem: str
) -> None:
    event = seeded(gsb, title)
    with pytest.raises(Conflict, match=problem):
        calendar.write(RespondToInvitation(event_id=event["id"], response="declined"))
    assert gsb.requests.last("PATCH") is None


def test_deleting_cancels_the_event_and_a_second_delete_is_not_found(
    calendar: CalendarConnector, gsb: GoogleSandbox
) -> None:
    coffee = seeded(gsb, "Coffee with Sam")
    calendar.write(DeleteEvent(event_id=coffee["id"]))
    assert stored(gsb, "Coffee with Sam") == []
    assert gsb.state.calendar.notifications[-1].action == "cancelled"
    with pytest.raises(NotFound, match="gone"):
        calendar.write(DeleteEvent(event_id=coffee["id"], send_updates="none"))


def test_writing_to_a_read_only_calendar_is_refused(calendar: CalendarConnector, gsb: GoogleSandbox) -> None:
    holidays = "en.usa#holiday@group.v.calendar.google.com"
    with pytest.raises(ScopeMissing, match="lacks permission"):
        calendar.write(meeting(gsb, calendar=holidays, attendees=[]))


# -- policy ------------------------------------------------------------------------------------


def claims(**overrides: Any) -> GrantClaims:
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "id": "grt_cal",
        "subject": "mona",
        "agent": "planner",
        "connections": ("google-mona",),
        "verbs": ("read", "draft", "write"),
        "issued_at": now,
        "expires_at": now + timedelta(hours=1),
        **overrides,
    }
    return GrantClaims(**fields)


@pytest.mark.parametrize(
    ("attendees", "default", "colleagues_allowed"),
    [
        (["lee@acme.com"], "approval_required", "allow"),
        (["lee@acme.com", "dana@partner.example"], "approval_required", "approval_required"),
    ],
)
def test_inviting_anyone_waits_for_approval_by_default_and_a_rule_can_allow_colleagues(
    calendar: CalendarConnector,
    gsb: GoogleSandbox,
    attendees: list[str],
    default: str,
    colleagues_allowed: str,
) -> None:
    request = meeting(gsb, attendees=attendees)
    spec = calendar.spec("create_event")
    risks, reach = calendar.weigh(spec, request)
    weighed = replace(spec, risks=risks, reach=reach)
    assert Policy().decide(claims(), "calendar_create_event", weighed).outcome == default
    colleagues = Policy.from_dict(
        {"rules": [{"outcome": "allow", "actions": ["calendar_*"], "reaches": ["person", "domain"]}]}
    )
    assert colleagues.decide(claims(), "calendar_create_event", weighed).outcome == colleagues_allowed


def test_a_grant_limited_to_one_calendar_refuses_another() -> None:
    limited = claims(constraints={"calendars": ("primary",)})
    fields = constrained_fields(ListEvents)
    assert check_constraints(limited, ListEvents(), fields).outcome == "allow"
    assert check_constraints(limited, ListEvents(calendar=TEAM), fields).outcome == "deny"


def test_a_key_whose_event_was_deleted_cannot_create_it_again(connect: Any, gsb: GoogleSandbox) -> None:
    first = connect()
    created = first.write(meeting(gsb), idempotency_key="plan-1")
    first.write(DeleteEvent(calendar="primary", event_id=created.id.split(":", 1)[1]))
    with pytest.raises(Conflict, match="new idempotency key"):
        connect().write(meeting(gsb), idempotency_key="plan-1")
    assert stored(gsb, "Renewal prep") == []


def test_an_all_day_draft_needs_no_request(calendar: CalendarConnector, gsb: GoogleSandbox) -> None:
    before = len(gsb.requests)
    change = CreateEvent.model_validate({"title": "Offsite", "start": "2030-05-02", "end": "2030-05-04"})
    draft = calendar.draft(change)
    assert "Thu 02 May 2030 - Fri 03 May 2030, all day (2 days)" in draft.preview
    assert len(gsb.requests) == before

"""Whom calendar calls reach: outside the domain is `external`; guests of an edited event count."""

from __future__ import annotations

from typing import Any

import pytest

from charter.connectors.base import validate_request
from charter.connectors.calendar import CalendarConnector, ListEvents


class Account:
    """Just enough of a connection to weigh risks: nothing is ever sent."""

    connection_id = "google-mona"
    granted_scopes: frozenset[str] = frozenset()

    def __init__(self, account: str = "mona@acme.com") -> None:
        self.account = account

    def access_token(self) -> str:
        raise AssertionError("weighing risks must not need a token")

    def refresh(self, rejected: str) -> str:
        raise AssertionError("weighing risks must not need a token")


WHEN = {"start": "2025-03-14T09:00:00Z", "end": "2025-03-14T10:00:00Z"}


def risks(action: str, args: dict[str, Any], account: str = "mona@acme.com") -> set[str]:
    connector = CalendarConnector(Account(account))
    spec = connector.spec(action)
    return set(connector.weigh(spec, validate_request(spec, args))[0])


@pytest.mark.parametrize("action", ["create_event"])
def test_inviting_someone_outside_the_domain_is_external(action: str) -> None:
    assert risks(action, {"title": "t", **WHEN, "attendees": ["bob@partner.example"]}) == {"external"}
    assert risks(action, {"title": "t", **WHEN, "optional_attendees": ["eve@gmail.com"]}) == {"external"}


def test_inviting_only_colleagues_is_not_external() -> None:
    assert (
        risks("create_event", {"title": "t", **WHEN, "attendees": ["ana@acme.com", "CY@Acme.com"]}) == set()
    )


def test_an_outside_attendee_is_reached_even_without_an_email() -> None:
    args = {"title": "t", **WHEN, "attendees": ["bob@partner.example"], "send_updates": "none"}
    assert risks("create_event", args) == {"external"}


def test_with_an_unknown_account_domain_every_invitation_is_external() -> None:
    assert risks("create_event", {"title": "t", **WHEN, "attendees": ["ana@acme.com"]}, account="mona") == {
        "external"
    }


def test_an_update_adding_an_outside_attendee_is_external() -> None:
    assert risks("update_event", {"event_id": "e1", "add_attendees": ["bob@partner.example"]}) == {
        "external",
        "rewrites",
    }


def test_deleting_is_destructive() -> None:
    # The event cannot be read here, so its guests are taken to be outside.
    assert risks("delete_event", {"event_id": "e1"}) == {"destructive", "external"}


def _event_id(calendar: CalendarConnector, title: str) -> str:
    events = calendar.read(
        ListEvents(query=title, time_min="2000-01-01T00:00:00Z", time_max="2100-01-01T00:00:00Z")
    )
    return next(e.event_id for e in events.items if e.title == title)


def _weigh(calendar: CalendarConnector, action: str, args: dict[str, Any]) -> set[str]:
    spec = calendar.spec(action)
    return set(calendar.weigh(spec, validate_request(spec, args))[0])


def test_editing_an_event_with_outside_guests_is_external_even_unannounced(
    calendar: CalendarConnector,
) -> None:
    # Guests see the edited event in their own calendars whether or not they are e-mailed.
    dinner = _event_id(calendar, "Dinner with Jo")
    lunch = _event_id(calendar, "Team lunch")
    assert _weigh(
        calendar, "update_event", {"event_id": dinner, "description": "x", "send_updates": "none"}
    ) == {"external", "rewrites"}
    assert _weigh(calendar, "update_event", {"event_id": lunch, "title": "Moved", "send_updates": "all"}) == {
        "rewrites"
    }


def test_answering_an_outside_organizer_is_external(calendar: CalendarConnector) -> None:
    partner = _event_id(calendar, "Partner sync: agreement renewal")
    assert _weigh(calendar, "respond_to_invitation", {"event_id": partner, "response": "accepted"}) == {
        "external",
        "rewrites",
    }


def test_an_event_that_cannot_be_read_is_weighed_as_external(calendar: CalendarConnector) -> None:
    assert _weigh(calendar, "update_event", {"event_id": "missing1", "title": "Moved"}) == {
        "external",
        "rewrites",
    }


def _reach(calendar: CalendarConnector, action: str, args: dict[str, Any]) -> str | None:
    spec = calendar.spec(action)
    return calendar.reach_for(spec, validate_request(spec, args))


@pytest.mark.parametrize("attendees", [[], ["mona@acme.com"]])
def test_clearing_the_guests_still_reaches_the_guests_the_event_has_now(
    calendar: CalendarConnector, attendees: list[str]
) -> None:
    # Removed guests are told the event is cancelled for them: `attendees: []` reaches them all.
    dinner = _event_id(calendar, "Dinner with Jo")
    lunch = _event_id(calendar, "Team lunch")
    assert _reach(calendar, "update_event", {"event_id": dinner, "attendees": attendees}) == "outsiders"
    assert _reach(calendar, "update_event", {"event_id": lunch, "attendees": attendees}) == "domain"


def test_moving_or_cancelling_an_internal_event_reaches_the_domain(
    calendar: CalendarConnector,
) -> None:
    lunch = _event_id(calendar, "Team lunch")
    moved = {"event_id": lunch, "start": "2030-01-01T12:00:00Z", "end": "2030-01-01T13:00:00Z"}
    assert _reach(calendar, "update_event", moved) == "domain"
    assert _reach(calendar, "delete_event", {"event_id": lunch}) == "domain"
    assert _reach(calendar, "create_event", {"title": "t", **WHEN, "attendees": ["ana@acme.com"]}) == "domain"
    assert _reach(calendar, "create_event", {"title": "t", **WHEN}) == "person"
    assert (
        _reach(calendar, "draft_event", {"title": "t", **WHEN, "attendees": ["x@evil.example"]}) == "person"
    )

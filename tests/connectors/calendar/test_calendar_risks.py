"""Calls reaching people outside the account's domain are tagged `external`, others are not."""

from __future__ import annotations

from typing import Any

import pytest

from charter.connectors.base import validate_request
from charter.connectors.calendar import CalendarConnector


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
    return set(connector.risks_for(spec, validate_request(spec, args)))


@pytest.mark.parametrize("action", ["create_event", "draft_event"])
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
    assert risks("update_event", {"event_id": "e1", "add_attendees": ["bob@partner.example"]}) == {"external"}
    assert risks("update_event", {"event_id": "e1", "attendees": ["ana@acme.com"]}) == set()


def test_an_update_notifying_unnamed_attendees_is_external() -> None:
    assert risks("update_event", {"event_id": "e1", "title": "Moved"}) == set()
    assert risks("update_event", {"event_id": "e1", "title": "Moved", "send_updates": "all"}) == {"external"}


def test_deleting_is_destructive_and_answering_is_not_risky() -> None:
    assert risks("delete_event", {"event_id": "e1"}) == {"destructive"}
    assert risks("respond_to_invitation", {"event_id": "e1", "response": "accepted"}) == set()

"""The contract harness for Charter's Google Calendar connector, against the Google sandbox.

The sandbox serves Calendar v3 and Google's OAuth server on loopback and is driven through its
Python API: tokens with exactly the scopes a check asks for, inspection of the calendars and of the
updates Calendar e-mailed to guests, faults. `discovery_api` and `api_methods` let the suite prove
each action's scopes sufficient and minimal from the discovery document shipped with
google-api-python-client.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from charter.connectors.base import Connector
from charter.connectors.calendar import CalendarConnector
from charter.connectors.calendar.connector import LIST_CALENDARS, READ_EVENTS, WRITE_EVENTS
from charter.contract_tests.harness import Example, Mode
from charter.contract_tests.harnesses.google import GoogleCredentials, GoogleHarness
from charter.schemas.types import JsonObject

TEAM = "c_7f3a9e2b41d8acme.team@group.calendar.google.com"
EVERY_SCOPE = frozenset(
    {*LIST_CALENDARS, *READ_EVENTS, *WRITE_EVENTS, *CalendarConnector.actions["free_busy"].scopes}
)


class CalendarCredentials(GoogleCredentials):
    """A sandbox Calendar connection of mona@acme.com, refreshed at the sandbox's token endpoint."""

    connection_id = "calendar-mona-contract"


class CalendarHarness(GoogleHarness):
    """Runs the contract suite on `CalendarConnector` against the Google sandbox."""

    connector_cls: ClassVar[type[Connector]] = CalendarConnector
    discovery_api: ClassVar[tuple[str, str]] = ("calendar", "v3")
    methods: ClassVar[Mapping[str, Sequence[str]]] = CalendarConnector.methods
    credentials_cls: ClassVar[type[GoogleCredentials]] = CalendarCredentials
    every_scope: ClassVar[frozenset[str]] = EVERY_SCOPE
    no_sandbox: ClassVar[str] = "the Calendar harness runs against the Google sandbox only"

    def __init__(self, mode: Mode = "sandbox") -> None:
        super().__init__(mode)
        self._seed_ids: dict[str, str] = {}

    # -- examples ----------------------------------------------------------------------------

    def examples(self) -> Mapping[str, Example]:
        return {**self._read_examples(), **self._write_examples()}

    def _read_examples(self) -> dict[str, Example]:
        now = self._now()
        window = {"time_min": now.isoformat(), "time_max": (now + timedelta(days=7)).isoformat()}
        first = self._events("primary")[0]
        team = len(self._events(TEAM))
        primary = len(self._events("primary"))
        return {
            "list_calendars": Example(
                {"page_size": 2}, invalid=({"page_size": 0},), min_items=3, min_pages=2
            ),
            "list_events": Example(
                {"calendar": "primary", "page_size": 5},
                invalid=({"single_events": False}, {"page_size": 2501}),
                min_items=primary,
                min_pages=3,
            ),
            "get_event": Example(
                {"event_id": first["id"]},
                invalid=({"event_id": "not/an id"},),
                refused=({"event_id": "nosucheventhere0"},),
            ),
            "free_busy": Example(
                {"calendars": ["primary", TEAM], **window},
                invalid=(
                    {
                        "calendars": ["primary"],
                        "time_min": window["time_max"],
                        "time_max": window["time_min"],
                    },
                ),
            ),
            "sync_events": Example(
                {"calendar": TEAM, "page_size": 5},
                invalid=({"calendar": TEAM, "page_size": 0},),
                min_items=team,
                min_pages=3,
            ),
        }

    def _write_examples(self) -> dict[str, Example]:
        start = (self._now() + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)
        meeting: JsonObject = {
            "title": "Contract suite meeting",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "attendees": ["lee@acme.com"],
            "description": "Planned by the contract suite.",
        }
        direct = {**meeting, "title": "Contract suite direct meeting"}
        # Found by title, not state: examples are read again after earlier checks changed things.
        invitation = self._seeded("Partner sync: agreement renewal")
        doomed = self._seeded("Coffee with Sam")
        renamed = self._seeded("Laptop replacement at IT desk")
        update = {"event_id": renamed["id"], "title": "Laptop replacement (moved)", "location": "IT desk 2"}
        return {
            "draft_event": Example(
                meeting,
                invalid=({**meeting, "end": meeting["start"]},),
                observe=self._titled(meeting["title"]),
            ),
            "create_event": Example(
                direct, invalid=({**direct, "attendees": ["nobody"]},), observe=self._titled(direct["title"])
            ),
            "update_event": Example(
                update,
                invalid=({"event_id": renamed["id"]},),
                observe=self._titled(update["title"]),
            ),
            "respond_to_invitation": Example(
                {"event_id": invitation["id"], "response": "accepted"},
                invalid=({"event_id": invitation["id"], "response": "maybe"},),
                observe=self._count(
                    lambda: int(self._my_status(self._event(invitation["id"])) == "accepted")
                ),
            ),
            "delete_event": Example(
                {"event_id": doomed["id"]},
                invalid=({"event_id": doomed["id"], "send_updates": "everyone"},),
                observe=self._count(lambda: int(self._event(doomed["id"]).get("status") == "cancelled")),
            ),
        }

    # -- observation -------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.sandbox.clock.now(), tz=UTC)

    def _events(self, calendar: str) -> list[JsonObject]:
        with self.sandbox.lock:
            return list(self.sandbox.state.calendar.events(calendar))

    def _event(self, event_id: str) -> JsonObject:
        found = self.sandbox.state.calendar.find_event(event_id)
        assert found is not None, f"the sandbox has no event {event_id}"
        return found

    def _seeded(self, title: str) -> JsonObject:
        # Seeded ids survive resets; remembering them keeps examples valid after a rename.
        if title not in self._seed_ids:
            found = [e for e in self._events("primary") if e.get("summary") == title]
            assert found, f"the sandbox's seed has no event {title!r}, which the Calendar examples need"
            self._seed_ids[title] = found[0]["id"]
        with self.sandbox.lock:
            return dict(self._event(self._seed_ids[title]))

    @staticmethod
    def _my_status(event: JsonObject) -> str | None:
        return next((a.get("responseStatus") for a in event.get("attendees") or [] if a.get("self")), None)

    def _titled(self, title: str) -> Callable[[], int]:
        return self._count(
            lambda: sum(
                e.get("summary") == title
                for c in self.sandbox.state.calendar.calendars.values()
                for e in c.events.values()
                if e.get("status") != "cancelled"
            )
        )

    def visible_state(self) -> Mapping[str, object]:
        # What attendees and people sharing a calendar see: each event's public face, and the
        # updates Calendar e-mailed.
        state: dict[str, object] = {}
        with self.sandbox.lock:
            calendars = self.sandbox.state.calendar
            for calendar in calendars.calendars.values():
                for event in calendar.events.values():
                    people = tuple(
                        (a.get("email"), a.get("responseStatus")) for a in event.get("attendees") or []
                    )
                    when = (str(event.get("start")), str(event.get("end")))
                    state[f"{calendar.id}/{event['id']}"] = (
                        event.get("summary"),
                        event.get("status"),
                        when,
                        people,
                    )
            state["notifications"] = len(calendars.notifications)
        return state

    def fidelity_problems(self) -> list[str] | None:
        from charter.sandboxes.google.discovery import validate_exchanges

        return validate_exchanges(self.sandbox.requests.entries)


__all__ = ["CalendarCredentials", "CalendarHarness"]

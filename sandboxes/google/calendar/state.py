"""Calendars and their events, with the change numbers that sync tokens are made of.

Each event is kept as the JSON resource Calendar returns. Every change stamps the event with the
calendar's next change number; a sync token names a calendar, a change number and the calendar's
sync generation, so `expire_sync_tokens()` invalidates every token handed out so far (the client
then gets 410 Gone and must sync fully again). Deleted events stay as `cancelled` tombstones so an
incremental sync can report them.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from charter.sandboxes.clock import Clock, parse_iso
from charter.schemas.types import JsonObject

AccessRole = Literal["owner", "writer", "reader", "freeBusyReader"]
EVENT_ID_ALPHABET = "abcdefghijklmnopqrstuv0123456789"


@dataclass(frozen=True)
class Notification:
    """An update Calendar e-mailed to guests because of `sendUpdates`."""

    event_id: str
    action: Literal["created", "updated", "cancelled"]
    recipients: tuple[str, ...]


@dataclass
class Calendar:
    """One calendar on the person's calendar list."""

    id: str
    summary: str
    access_role: AccessRole
    time_zone: str = "UTC"
    primary: bool = False
    description: str | None = None
    color_id: str = "14"
    background_color: str = "#9fe1e7"
    events: dict[str, JsonObject] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)
    change_seq: int = 0
    generation: int = 1

    @property
    def writable(self) -> bool:
        """Whether the person may change events here."""
        return self.access_role in ("owner", "writer")

    def entry_json(self) -> JsonObject:
        """The calendar as calendarList shows it."""
        out: JsonObject = {
            "kind": "calendar#calendarListEntry",
            "etag": f'"{1_700_000_000_000_000 + len(self.id)}"',
            "id": self.id,
            "summary": self.summary,
        }
        if self.description:
            out["description"] = self.description
        out |= {
            "timeZone": self.time_zone,
            "colorId": self.color_id,
            "backgroundColor": self.background_color,
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": self.access_role,
            "defaultReminders": [{"method": "popup", "minutes": 10}] if self.primary else [],
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if self.primary:
            out["primary"] = True
        return out


def event_bounds(event: JsonObject) -> tuple[float, float]:
    """(start, end) of an event in epoch seconds; all-day dates count from midnight UTC."""
    return _instant(event.get("start") or {}), _instant(event.get("end") or {})


def _instant(when: JsonObject) -> float:
    if "dateTime" in when:
        return parse_iso(str(when["dateTime"]))
    if "date" in when:
        return datetime.strptime(str(when["date"]), "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    return 0.0


def new_event_id() -> str:
    """An event id in Calendar's base32hex alphabet."""
    return "".join(secrets.choice(EVENT_ID_ALPHABET) for _ in range(26))


class CalendarState:
    """The person's calendars, the updates e-mailed to guests, and the clock events are stamped with."""

    def __init__(self, owner: str, clock: Clock) -> None:
        self.owner = owner
        self.clock = clock
        self.calendars: dict[str, Calendar] = {}
        self.notifications: list[Notification] = []
        self._etags = itertools.count(1)

    def __repr__(self) -> str:
        counts = {c: len(cal.events) for c, cal in self.calendars.items()}
        return f"CalendarState({self.owner!r}, events={counts})"

    def clone(self) -> CalendarState:
        """An independent copy sharing only the clock."""
        twin = CalendarState(self.owner, self.clock)
        for ident, calendar in self.calendars.items():
            twin.calendars[ident] = dataclasses.replace(
                calendar, events=copy.deepcopy(calendar.events), changed=dict(calendar.changed)
            )
        twin.notifications = list(self.notifications)
        twin._etags = itertools.count(next(copy.copy(self._etags)))
        return twin

    def add_calendar(self, calendar: Calendar) -> Calendar:
        """Put a calendar on the list."""
        self.calendars[calendar.id] = calendar
        return calendar

    def resolve(self, calendar_id: str) -> Calendar | None:
        """A calendar by id, `primary` meaning the owner's own."""
        return self.calendars.get(self.owner if calendar_id == "primary" else calendar_id)

    @property
    def primary(self) -> Calendar:
        """The owner's primary calendar."""
        return self.calendars[self.owner]

    def stamp(self, calendar: Calendar, event: JsonObject) -> JsonObject:
        """Record a change to `event`: new etag, `updated` time and change number."""
        now = self.clock.now()
        event["etag"] = f'"{3_400_000_000_000_000 + int(now * 1000) % 10**15 + next(self._etags)}"'
        event["updated"] = _timestamp(now)
        calendar.change_seq += 1
        calendar.changed[event["id"]] = calendar.change_seq
        calendar.events[event["id"]] = event
        return event

    def expire_sync_tokens(self) -> None:
        """Every sync token issued so far stops working (the next incremental sync gets 410)."""
        for calendar in self.calendars.values():
            calendar.generation += 1

    def events(self, calendar_id: str = "primary", *, include_cancelled: bool = False) -> list[JsonObject]:
        """A calendar's events, soonest first (for inspection in tests)."""
        calendar = self.resolve(calendar_id)
        if calendar is None:
            return []
        found = [e for e in calendar.events.values() if include_cancelled or e.get("status") != "cancelled"]
        return sorted(found, key=lambda e: (event_bounds(e)[0], e["id"]))

    def find_event(self, event_id: str) -> JsonObject | None:
        """An event by id in any calendar (for inspection in tests)."""
        for calendar in self.calendars.values():
            if event_id in calendar.events:
                return calendar.events[event_id]
        return None


def _timestamp(at: float) -> str:
    moment = datetime.fromtimestamp(at, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def timestamp(at: float) -> str:
    """An RFC 3339 UTC timestamp with milliseconds, as Calendar writes `created` and `updated`."""
    return _timestamp(at)

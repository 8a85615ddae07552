"""Mona's seeded calendars: primary and the team calendar, ~40 events around the sandbox's today.

Includes meetings tomorrow, an all-day trip, a private appointment, past events, a free (transparent)
focus block, and an invitation from partner.example still awaiting Mona's answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from charter.sandboxes.clock import Clock
from charter.sandboxes.google.calendar.state import Calendar, CalendarState, timestamp
from charter.schemas.types import JsonObject

OWNER = "mona@acme.com"
TEAM = "c_7f3a9e2b41d8acme.team@group.calendar.google.com"
HOLIDAYS = "en.usa#holiday@group.v.calendar.google.com"
NAMES = {
    "mona@acme.com": "Mona Lisa Octocat",
    "lee@acme.com": "Lee Chen",
    "priya@acme.com": "Priya Raman",
    "sam@acme.com": "Sam Ortiz",
    "dana@partner.example": "Dana Whitfield",
    "legal@partner.example": "Partner Legal",
    "jo.smith@gmail.com": "Jo Smith",
}


@dataclass
class EventSeed:
    """One seeded event, placed `day` days from today at `hour` UTC (or all day)."""

    summary: str
    day: int
    hour: float | None
    hours: float = 1
    attendees: list[str] = field(default_factory=list)
    organizer: str = OWNER
    calendar: str = OWNER
    location: str | None = None
    description: str | None = None
    mona_status: str = "accepted"
    transparent: bool = False
    visibility: str | None = None


EVENTS: list[EventSeed] = [
    EventSeed(
        "Q3 planning offsite",
        1,
        10,
        6,
        ["lee@acme.com", "priya@acme.com", "sam@acme.com"],
        location="Atlas room",
    ),
    EventSeed("1:1 with Lee", 1, 16.5, 0.5, ["lee@acme.com"]),
    EventSeed("Dentist", 1, 7.5, 1, visibility="private", location="Smile Clinic"),
    EventSeed(
        "Partner sync: agreement renewal",
        3,
        15,
        1,
        [OWNER, "legal@partner.example"],
        organizer="dana@partner.example",
        description="Walk through the redlined renewal draft.",
        mona_status="needsAction",
    ),
    EventSeed("Security review follow-up", 2, 13, 1, ["sam@acme.com", "lee@acme.com"]),
    EventSeed("Focus time", 2, 8, 3, transparent=True),
    EventSeed("Hiring: platform candidate A", 4, 14, 1, ["priya@acme.com"]),
    EventSeed("Hiring: platform candidate B", 5, 14, 1, ["priya@acme.com"]),
    EventSeed(
        "Team lunch", 4, 12, 1.5, ["lee@acme.com", "priya@acme.com", "sam@acme.com"], location="Canteen"
    ),
    EventSeed("Dinner with Jo", 5, 19, 2, ["jo.smith@gmail.com"], location="Thai place near the station"),
    EventSeed("Sync engine v2 design review", 7, 10, 1.5, ["lee@acme.com", "sam@acme.com"]),
    EventSeed("Laptop replacement at IT desk", 6, 9, 0.5),
    EventSeed("Quarterly business review", 8, 15, 2, ["priya@acme.com", "lee@acme.com"]),
    EventSeed("Conference talk rehearsal", 10, 11, 1, ["lee@acme.com"]),
    EventSeed("Berlin trip", 14, None, 3 * 24, location="Berlin"),
    EventSeed(
        "Joint press release review", 9, 16, 0.5, [OWNER, "lee@acme.com"], organizer="dana@partner.example"
    ),
    EventSeed("Onboarding: new hires", 12, 9, 2, ["priya@acme.com"]),
    EventSeed("Board meeting prep", 11, 13, 2, ["priya@acme.com"]),
    EventSeed("Retro: last release", -1, 15, 1, ["lee@acme.com", "priya@acme.com", "sam@acme.com"]),
    EventSeed("Coffee with Sam", -3, 10, 0.5, ["sam@acme.com"]),
    EventSeed("Vendor call: CloudCo", -6, 17, 0.5),
    EventSeed(
        "Platform all-hands", 15, 16, 1, ["lee@acme.com", "priya@acme.com", "sam@acme.com"], calendar=TEAM
    ),
    EventSeed("Release freeze", 18, None, 24, calendar=TEAM),
    EventSeed("Infra merge kickoff", 20, 10, 1.5, ["priya@acme.com", "sam@acme.com"], calendar=TEAM),
    EventSeed("Independence Day", 25, None, 24, organizer=HOLIDAYS, calendar=HOLIDAYS, transparent=True),
]


def _standups() -> list[EventSeed]:
    """The team's daily stand-up on weekdays for three weeks, on the team calendar."""
    return [
        EventSeed(
            f"Daily stand-up ({day + 1})",
            day,
            9.25,
            0.25,
            ["lee@acme.com", "priya@acme.com", "sam@acme.com"],
            calendar=TEAM,
        )
        for day in range(0, 21)
        if day % 7 not in (5, 6)
    ]


def _person(email: str, *, me: bool) -> JsonObject:
    out: JsonObject = {"email": email}
    if email in NAMES:
        out["displayName"] = NAMES[email]
    if me:
        out["self"] = True
    return out


def _when(today: datetime, seed: EventSeed) -> tuple[JsonObject, JsonObject]:
    day = today + timedelta(days=seed.day)
    if seed.hour is None:
        end = day + timedelta(hours=seed.hours)
        return {"date": day.strftime("%Y-%m-%d")}, {"date": end.strftime("%Y-%m-%d")}
    start = day + timedelta(hours=seed.hour)
    end = start + timedelta(hours=seed.hours)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return {"dateTime": start.strftime(fmt), "timeZone": "UTC"}, {
        "dateTime": end.strftime(fmt),
        "timeZone": "UTC",
    }


def make_event(state: CalendarState, seed: EventSeed, ident: str, today: datetime) -> JsonObject:
    """The JSON resource of a seeded event."""
    start, end = _when(today, seed)
    created = today.timestamp() - 10 * 86_400
    event: JsonObject = {
        "kind": "calendar#event",
        "id": ident,
        "status": "confirmed",
        "htmlLink": f"https://www.google.com/calendar/event?eid={ident}",
        "created": timestamp(created),
        "summary": seed.summary,
    }
    if seed.description:
        event["description"] = seed.description
    if seed.location:
        event["location"] = seed.location
    event["creator"] = _person(seed.organizer, me=seed.organizer == OWNER)
    event["organizer"] = _person(seed.organizer, me=seed.organizer == OWNER)
    if seed.organizer == HOLIDAYS:
        event["organizer"]["displayName"] = "Holidays in United States"
    event |= {"start": start, "end": end}
    if seed.transparent:
        event["transparency"] = "transparent"
    if seed.visibility:
        event["visibility"] = seed.visibility
    event["iCalUID"] = f"{ident}@google.com"
    event["sequence"] = 0
    if seed.attendees:
        event["attendees"] = [
            _attendee(email, seed) for email in dict.fromkeys([seed.organizer, *seed.attendees])
        ]
    event["reminders"] = {"useDefault": True}
    event["eventType"] = "default"
    return event


def _attendee(email: str, seed: EventSeed) -> JsonObject:
    out = _person(email, me=email == OWNER)
    if email == seed.organizer:
        out["organizer"] = True
    status = (
        seed.mona_status if email == OWNER else ("accepted" if email == seed.organizer else "needsAction")
    )
    out["responseStatus"] = status
    return out


def build_calendars(clock: Clock) -> CalendarState:
    """Mona's calendars as seeded."""
    state = CalendarState(OWNER, clock)
    state.add_calendar(Calendar(OWNER, OWNER, "owner", primary=True))
    state.add_calendar(
        Calendar(
            TEAM,
            "Acme Platform Team",
            "writer",
            description="Team rituals and launches.",
            color_id="9",
            background_color="#7bd148",
        )
    )
    state.add_calendar(
        Calendar(HOLIDAYS, "Holidays in United States", "reader", color_id="8", background_color="#16a765")
    )
    now = clock.now()
    today = datetime.fromtimestamp(now - now % 86_400, tz=UTC)
    for i, seed in enumerate([*EVENTS, *_standups()]):
        calendar = state.calendars[seed.calendar]
        state.stamp(calendar, make_event(state, seed, f"seed{i:04d}ev", today))
    return state


def add_bulk_events(state: CalendarState, count: int) -> None:
    """`count` more half-hour events on the primary calendar, for benchmarks."""
    now = state.clock.now()
    today = datetime.fromtimestamp(now - now % 86_400, tz=UTC)
    calendar = state.primary
    base = len(calendar.events)
    for i in range(count):
        seed = EventSeed(f"Bulk event {i}", 30 + i // 16, 8 + (i % 16) * 0.5, 0.5)
        state.stamp(calendar, make_event(state, seed, f"bulk{base + i:06d}", today))

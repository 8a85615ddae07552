"""Google Calendar request models (what an agent may ask) and resource models (what it gets back)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from charter.connectors.base import recipient_field, resource_field
from charter.schemas import Change, Page, Resource

CONNECTOR = "calendar"

# Google's maxima: fewer, larger pages are the cheapest way through a listing.
MAX_EVENTS_PAGE = 2500
MAX_CALENDARS_PAGE = 250
MAX_FREEBUSY_CALENDARS = 50
MAX_ATTENDEES = 100
# `primary`, or an address-like id (holiday calendars carry a `#`).
CALENDAR_PATTERN = r"^(?:primary|[A-Za-z0-9._%+#-]{1,200}@[A-Za-z0-9.-]{1,200})$"
# base32hex ids, with `_` and the instance suffix of recurring events.
EVENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,1024}$"
EMAIL_PATTERN = r"^[^@\s<>,;]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
ETAG_PATTERN = r'^"?[A-Za-z0-9_=/+.-]{1,100}"?$'

SendUpdates = Literal["all", "externalOnly", "none"]
Response = Literal["accepted", "declined", "tentative"]


def _parse_when(value: Any) -> Any:
    """`2025-03-14` is an all-day date; anything longer an ISO 8601 date-time."""
    if isinstance(value, str):
        text = value.strip()
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    return value


When = Annotated[datetime | date, BeforeValidator(_parse_when)]
Email = Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=254)]
Cursor = Annotated[
    str | None,
    Field(
        default=None, max_length=2000, description="`next_cursor` of the previous page; omit for the first."
    ),
]
Window = Annotated[
    datetime | None,
    Field(default=None, description="ISO 8601 with an offset, e.g. `2025-03-14T09:00:00+01:00`."),
]


def calendar_field() -> Any:
    """The calendar a request works on; grants constrain it as `calendars=...`."""
    return resource_field(
        "calendars",
        "Calendar id: `primary` (the account's own) or an id from list_calendars.",
        default="primary",
        pattern=CALENDAR_PATTERN,
    )


def event_id_field() -> Any:
    return Field(pattern=EVENT_ID_PATTERN, description="The event id, from list_events or get_event.")


def send_updates_field(default: SendUpdates, who: str) -> Any:
    return Field(
        default=default,
        description=f"Who Google emails about this change: all, externalOnly or none (default {default}; "
        f"{who}).",
    )


def check_time_zone(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Paris") from None
    return value


def _aware(value: datetime | None, name: str) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} needs a UTC offset, e.g. 2025-03-14T09:00:00+01:00 or ...Z")


_CONFIG = ConfigDict(extra="forbid", frozen=True)


class _Request(BaseModel):
    model_config = _CONFIG


# -- read requests -------------------------------------------------------------------------


class ListCalendars(_Request):
    """Calendars in the account's calendar list."""

    page_size: int = Field(default=MAX_CALENDARS_PAGE, ge=1, le=MAX_CALENDARS_PAGE, description="1 to 250.")
    cursor: Cursor = None


class ListEvents(_Request):
    """Events of one calendar in a time window, optionally matching a free-text search."""

    calendar: str = calendar_field()
    time_min: Window = None
    time_max: Window = None
    query: str | None = Field(
        default=None, max_length=500, description="Free text matched against title, description, place."
    )
    single_events: bool = Field(
        default=True, description="Expand recurring events into their instances (needed for ordering)."
    )
    order_by: Literal["startTime", "updated"] | None = Field(
        default="startTime", description="startTime (needs single_events) or updated; omit for none."
    )
    page_size: int = Field(default=MAX_EVENTS_PAGE, ge=1, le=MAX_EVENTS_PAGE, description="1 to 2500.")
    cursor: Cursor = None

    @model_validator(mode="after")
    def _consistent(self) -> ListEvents:
        _aware(self.time_min, "time_min")
        _aware(self.time_max, "time_max")
        if self.time_min and self.time_max and self.time_max <= self.time_min:
            raise ValueError("time_max must be after time_min")
        if self.order_by == "startTime" and not self.single_events:
            raise ValueError("order_by=startTime needs single_events=true")
        return self


class GetEvent(_Request):
    """One event by id."""

    calendar: str = calendar_field()
    event_id: str = event_id_field()


class FreeBusyQuery(_Request):
    """Busy intervals of people or calendars over a window."""

    calendars: list[Annotated[str, Field(pattern=CALENDAR_PATTERN)]] = Field(
        min_length=1,
        max_length=MAX_FREEBUSY_CALENDARS,
        description="Addresses of people or calendar ids (`primary` for the account's own), up to 50.",
    )
    time_min: datetime = Field(description="Window start, ISO 8601 with an offset.")
    time_max: datetime = Field(description="Window end, ISO 8601 with an offset.")
    time_zone: str | None = Field(default=None, description="IANA zone for the answer, e.g. Europe/Paris.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return check_time_zone(value)

    @model_validator(mode="after")
    def _window(self) -> FreeBusyQuery:
        _aware(self.time_min, "time_min")
        _aware(self.time_max, "time_max")
        if self.time_max <= self.time_min:
            raise ValueError("time_max must be after time_min")
        return self


class SyncEvents(_Request):
    """What changed in a calendar since the last sync (everything, on the first)."""

    calendar: str = calendar_field()
    sync_token: str | None = Field(
        default=None,
        max_length=2000,
        description="`next_sync_token` of the previous sync; omit for a full sync.",
    )
    page_size: int = Field(default=MAX_EVENTS_PAGE, ge=1, le=MAX_EVENTS_PAGE, description="1 to 2500.")
    cursor: Cursor = None


# -- changes ---------------------------------------------------------------------------------


class _EventFields(Change):
    model_config = _CONFIG

    calendar: str = calendar_field()
    time_zone: str | None = Field(
        default=None,
        description="IANA zone of start and end, e.g. Europe/Paris; needed when they carry no offset.",
    )
    description: str | None = Field(default=None, max_length=8000, description="Event notes (plain text).")
    location: str | None = Field(default=None, max_length=1024, description="Place or address.")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return check_time_zone(value)


def _check_times(start: date, end: date, zone: str | None) -> None:
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise ValueError("start and end must both be dates (all day) or both date-times")
    if isinstance(start, datetime) and isinstance(end, datetime):
        if zone is None and (start.utcoffset() is None or end.utcoffset() is None):
            raise ValueError("give start and end a UTC offset, or name their time_zone")
        if _zoned(start, zone) >= _zoned(end, zone):
            raise ValueError("end must be after start")
    elif end <= start:
        raise ValueError("end must be after start (the end date of an all-day event is exclusive)")


def _zoned(moment: datetime, zone: str | None) -> datetime:
    if moment.utcoffset() is None and zone is not None:
        return moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
    return moment


class CreateEvent(_EventFields):
    """A new event, with invitations to its attendees."""

    title: str = Field(min_length=1, max_length=1024, description="Event title.")
    start: When = Field(description="Start: `2025-03-14T09:00:00+01:00`, or `2025-03-14` for all day.")
    end: When = Field(description="End, same form as start; an all-day end date is exclusive.")
    attendees: list[Email] = recipient_field(
        "Addresses to invite; those outside the account's domain make the call `external`.",
        default_factory=list,
        max_length=MAX_ATTENDEES,
    )
    optional_attendees: list[Email] = recipient_field(
        "Addresses invited as optional.", default_factory=list, max_length=MAX_ATTENDEES
    )
    add_video_call: bool = Field(default=False, description="Attach a Google Meet link.")
    recurrence: list[Annotated[str, Field(pattern=r"^(?:RRULE|EXRULE|RDATE|EXDATE)[:;]\S{1,500}$")]] = Field(
        default_factory=list, max_length=5, description="RFC 5545 lines, e.g. `RRULE:FREQ=WEEKLY;COUNT=4`."
    )
    send_updates: SendUpdates = send_updates_field("all", "invitations go out when the event is created")

    @model_validator(mode="after")
    def _times(self) -> CreateEvent:
        _check_times(self.start, self.end, self.time_zone)
        if self.recurrence and isinstance(self.start, datetime) and self.time_zone is None:
            raise ValueError("a repeating event needs a time_zone, e.g. Europe/Paris, to repeat in")
        return self


class UpdateEvent(_EventFields):
    """Changes to an existing event; only the fields given change."""

    event_id: str = event_id_field()
    title: str | None = Field(default=None, min_length=1, max_length=1024, description="New title.")
    start: When | None = Field(default=None, description="New start (give end too).")
    end: When | None = Field(default=None, description="New end (give start too).")
    attendees: list[Email] | None = recipient_field(
        "The complete new list of attendees (replaces it); omit to keep it.",
        default=None,
        max_length=MAX_ATTENDEES,
    )
    add_attendees: list[Email] = recipient_field(
        "Addresses to invite in addition to the current attendees.",
        default_factory=list,
        max_length=MAX_ATTENDEES,
    )
    expected_etag: str | None = Field(
        default=None,
        pattern=ETAG_PATTERN,
        description="The event's etag as you read it; the update is refused if the event changed since.",
    )
    send_updates: SendUpdates = send_updates_field(
        "none", "notifying attendees outside the domain makes the call `external`"
    )

    @model_validator(mode="after")
    def _something_changes(self) -> UpdateEvent:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end to move an event")
        if self.start is not None and self.end is not None:
            _check_times(self.start, self.end, self.time_zone)
        changes = self.model_dump(
            exclude={"calendar", "event_id", "expected_etag", "send_updates", "time_zone"},
            exclude_defaults=True,
        )
        if not changes:
            raise ValueError("name at least one thing to change (title, start/end, attendees, ...)")
        return self


class RespondToInvitation(Change):
    """The account's answer to an invitation."""

    model_config = _CONFIG

    calendar: str = calendar_field()
    event_id: str = event_id_field()
    response: Response = Field(description="accepted, declined or tentative.")
    comment: str | None = Field(default=None, max_length=1000, description="A note to the organizer.")
    send_updates: SendUpdates = send_updates_field("all", "the organizer learns the answer")


class DeleteEvent(Change):
    """Remove an event (cancelling it for its attendees)."""

    model_config = _CONFIG

    calendar: str = calendar_field()
    event_id: str = event_id_field()
    expected_etag: str | None = Field(
        default=None, pattern=ETAG_PATTERN, description="Delete only if the event is still at this etag."
    )
    send_updates: SendUpdates = send_updates_field("all", "attendees learn the event is cancelled")


# -- resources -------------------------------------------------------------------------------


class Calendar(Resource):
    """A calendar in the account's list."""

    calendar_id: str = resource_field("calendars", "The calendar id to pass to other actions.")
    title: str
    description: str | None = None
    time_zone: str | None = None
    access_role: str | None = None
    primary: bool = False


class EventTime(BaseModel):
    """When an event starts or ends: a date-time, or a date for all-day events."""

    date_time: datetime | None = None
    day: date | None = Field(default=None, description="The date of an all-day event.")
    time_zone: str | None = None


class Attendee(BaseModel):
    """One person invited to an event and their answer."""

    email: str
    display_name: str | None = None
    response_status: str = "needsAction"
    optional: bool = False
    organizer: bool = False
    is_self: bool = False


class Event(Resource):
    """A calendar event; a cancelled one (in a sync) may carry only its id and status."""

    calendar: str = resource_field("calendars", "The calendar the event was read from.")
    event_id: str
    status: str = "confirmed"
    title: str = ""
    description: str = ""
    location: str | None = None
    start: EventTime | None = None
    end: EventTime | None = None
    organizer: str | None = None
    attendees: list[Attendee] = Field(default_factory=list)
    my_response: str | None = None
    video_call: str | None = None
    recurrence: list[str] = Field(default_factory=list)
    recurring_event_id: str | None = None
    etag: str | None = None
    ical_uid: str | None = None
    updated: datetime | None = None
    written_by_agent: str | None = None
    written_under_grant: str | None = None


class EventSync(Page[Event]):
    """A page of changed events; the last page carries the token for the next sync."""

    next_sync_token: str | None = None
    full_sync: bool = Field(default=False, description="True when every event was listed, not only changes.")
    full_sync_reason: str | None = None


class BusyInterval(BaseModel):
    start: datetime
    end: datetime


class CalendarBusy(BaseModel):
    """The busy intervals of one person or calendar, or why Google could not tell."""

    calendar: str
    busy: list[BusyInterval] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)


class Availability(Resource):
    """Free/busy answer over a window: busy intervals per person or calendar."""

    time_min: datetime
    time_max: datetime
    calendars: list[CalendarBusy]

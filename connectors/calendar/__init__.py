"""Google Calendar for Charter: read calendars, events and free/busy; propose, create and answer events."""

from charter.connectors.calendar.connector import CalendarConnector, EventGone
from charter.connectors.calendar.models import (
    Attendee,
    Availability,
    BusyInterval,
    Calendar,
    CalendarBusy,
    CreateEvent,
    DeleteEvent,
    Event,
    EventSync,
    EventTime,
    FreeBusyQuery,
    GetEvent,
    ListCalendars,
    ListEvents,
    RespondToInvitation,
    SyncEvents,
    UpdateEvent,
)

__all__ = [
    "Attendee",
    "Availability",
    "BusyInterval",
    "Calendar",
    "CalendarBusy",
    "CalendarConnector",
    "CreateEvent",
    "DeleteEvent",
    "Event",
    "EventGone",
    "EventSync",
    "EventTime",
    "FreeBusyQuery",
    "GetEvent",
    "ListCalendars",
    "ListEvents",
    "RespondToInvitation",
    "SyncEvents",
    "UpdateEvent",
]

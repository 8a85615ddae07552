"""Google Calendar's JSON answers turned into Charter resources."""

from __future__ import annotations

import hashlib

from charter.connectors.bulk import paused_gc
from charter.connectors.calendar.markers import AGENT_KEY, GRANT_KEY
from charter.connectors.calendar.models import (
    CONNECTOR,
    Availability,
    BusyInterval,
    Calendar,
    CalendarBusy,
    Event,
)
from charter.schemas import Provenance
from charter.schemas.types import JsonObject


def calendar_from(data: JsonObject) -> Calendar:
    ident = str(data["id"])
    return Calendar(
        id=ident,
        provenance=Provenance(connector=CONNECTOR, id=f"calendar:{ident}"),
        calendar_id=ident,
        title=str(data.get("summaryOverride") or data.get("summary") or ident),
        description=data.get("description"),
        time_zone=data.get("timeZone"),
        access_role=data.get("accessRole"),
        primary=bool(data.get("primary")),
    )


# Events are validated whole, nested parts as plain dicts: one call into pydantic per event instead
# of one per part is what keeps a 2,500-event page cheap. These build the nested parts.


def _time(data: JsonObject | None) -> JsonObject | None:
    if not data:
        return None
    return {"date_time": data.get("dateTime"), "day": data.get("date"), "time_zone": data.get("timeZone")}


def _attendee(data: JsonObject) -> JsonObject:
    return {
        "email": str(data.get("email") or ""),
        "display_name": data.get("displayName"),
        "response_status": str(data.get("responseStatus") or "needsAction"),
        "optional": bool(data.get("optional")),
        "organizer": bool(data.get("organizer")),
        "is_self": bool(data.get("self")),
    }


def video_link(data: JsonObject) -> str | None:
    """The video call of an event: Meet's link, or the conference's video entry point."""
    if data.get("hangoutLink"):
        return str(data["hangoutLink"])
    for entry in (data.get("conferenceData") or {}).get("entryPoints") or []:
        if entry.get("entryPointType") == "video" and entry.get("uri"):
            return str(entry["uri"])
    return None


def own_entry(data: JsonObject, account: str) -> JsonObject | None:
    """The account's own attendee entry of an event, if it is invited."""
    for entry in data.get("attendees") or []:
        if entry.get("self") or str(entry.get("email", "")).lower() == account.lower():
            return dict(entry)
    return None


def event_from(calendar: str, data: JsonObject) -> Event:
    ident = str(data["id"])
    organizer = (data.get("organizer") or {}).get("email") or (data.get("creator") or {}).get("email")
    private = (data.get("extendedProperties") or {}).get("private") or {}
    attendees = [_attendee(a) for a in data.get("attendees") or []]
    mine = next((a["response_status"] for a in attendees if a["is_self"]), None)
    return Event.model_validate(
        {
            "id": f"{calendar}:{ident}",
            "provenance": {
                "connector": CONNECTOR,
                "id": f"event:{ident}",
                "url": data.get("htmlLink"),
                "author": organizer,
            },
            "calendar": calendar,
            "event_id": ident,
            "status": str(data.get("status") or "confirmed"),
            "title": str(data.get("summary") or ""),
            "description": str(data.get("description") or ""),
            "location": data.get("location"),
            "start": _time(data.get("start")),
            "end": _time(data.get("end")),
            "organizer": organizer,
            "attendees": attendees,
            "my_response": mine,
            "video_call": video_link(data),
            "recurrence": list(data.get("recurrence") or []),
            "recurring_event_id": data.get("recurringEventId"),
            "etag": data.get("etag"),
            "ical_uid": data.get("iCalUID"),
            "updated": data.get("updated"),
            "written_by_agent": private.get(AGENT_KEY),
            "written_under_grant": private.get(GRANT_KEY),
        }
    )


def events_from(calendar: str, data: JsonObject) -> list[Event]:
    """The events of an events.list page (up to 2,500, so converted with the collector paused)."""
    with paused_gc():
        return [event_from(calendar, item) for item in data.get("items") or []]


def availability_from(data: JsonObject, asked: list[str]) -> Availability:
    """Busy intervals per asked calendar, in the order asked (Google answers in a map)."""
    answered: JsonObject = data.get("calendars") or {}
    calendars = []
    for name in asked:
        entry = answered.get(name) or {}
        errors = [str(e.get("reason") or e.get("domain") or "unknown") for e in entry.get("errors") or []]
        busy = [BusyInterval(start=b["start"], end=b["end"]) for b in entry.get("busy") or []]
        calendars.append(CalendarBusy(calendar=name, busy=busy, errors=errors if entry else ["notFound"]))
    window = f"{data.get('timeMin')}/{data.get('timeMax')}/{','.join(asked)}"
    ident = "freebusy:" + hashlib.sha256(window.encode()).hexdigest()[:16]
    return Availability(
        id=ident,
        provenance=Provenance(connector=CONNECTOR, id=ident),
        time_min=data["timeMin"],
        time_max=data["timeMax"],
        calendars=calendars,
    )

"""The JSON bodies Calendar's insert and patch take, built from Charter's change models."""

from __future__ import annotations

from datetime import date, datetime

from charter.connectors.calendar.markers import WRITE_KEY
from charter.connectors.calendar.models import CreateEvent, UpdateEvent
from charter.schemas.types import JsonObject


def time_body(value: date, zone: str | None) -> JsonObject:
    """`{"dateTime", "timeZone"}` for a moment, `{"date"}` for an all-day date."""
    if isinstance(value, datetime):
        return {"dateTime": value.isoformat(), **({"timeZone": zone} if zone else {})}
    return {"date": value.isoformat()}


def invitees(required: list[str], optional: list[str]) -> list[JsonObject]:
    """Attendee entries, each address once (required wins over optional)."""
    seen: dict[str, JsonObject] = {}
    for address in required:
        seen.setdefault(address.lower(), {"email": address})
    for address in optional:
        seen.setdefault(address.lower(), {"email": address, "optional": True})
    return list(seen.values())


def event_body(change: CreateEvent, private: dict[str, str], event_id: str) -> JsonObject:
    """The insert body of a new event carrying Charter's private properties."""
    body: JsonObject = {
        "id": event_id,
        "summary": change.title,
        "start": time_body(change.start, change.time_zone),
        "end": time_body(change.end, change.time_zone),
        "extendedProperties": {"private": private},
    }
    optional = {"description": change.description, "location": change.location}
    body |= {key: value for key, value in optional.items() if value}
    attendees = invitees(change.attendees, change.optional_attendees)
    if attendees:
        body["attendees"] = attendees
    if change.recurrence:
        body["recurrence"] = list(change.recurrence)
    if change.add_video_call:
        # The request id makes Meet's creation idempotent too: a retried insert asks for the same call.
        solution = {"type": "hangoutsMeet"}
        body["conferenceData"] = {
            "createRequest": {"requestId": private[WRITE_KEY], "conferenceSolutionKey": solution}
        }
    return body


def patch_body(change: UpdateEvent, current: JsonObject) -> JsonObject:
    """The patch body of an update: only the fields the change names."""
    body: JsonObject = {}
    if change.title is not None:
        body["summary"] = change.title
    if change.description is not None:
        body["description"] = change.description
    if change.location is not None:
        body["location"] = change.location
    if change.start is not None and change.end is not None:
        body["start"] = time_body(change.start, change.time_zone)
        body["end"] = time_body(change.end, change.time_zone)
    if change.attendees is not None or change.add_attendees:
        body["attendees"] = merged_attendees(current, change.attendees, change.add_attendees)
    return body


def merged_attendees(current: JsonObject, replace: list[str] | None, add: list[str]) -> list[JsonObject]:
    """The new attendee list; people who stay keep their entry, and so their answer."""
    existing = {str(a.get("email", "")).lower(): dict(a) for a in current.get("attendees") or []}
    wanted = [*(replace if replace is not None else existing), *add]
    out: dict[str, JsonObject] = {}
    for address in wanted:
        key = address.lower()
        out.setdefault(key, existing.get(key) or {"email": address})
    return list(out.values())


def attendees_after(current: JsonObject, answered: JsonObject) -> list[JsonObject]:
    """The attendee list with the account's own entry replaced by its answer."""
    email = str(answered.get("email", "")).lower()
    return [
        answered if (a.get("self") or str(a.get("email", "")).lower() == email) else a
        for a in current.get("attendees") or []
    ]


def when_text(data: JsonObject) -> str:
    """The start of an event as Google gave it: a date-time, or the date of an all-day event."""
    start = data.get("start") or {}
    return str(start.get("dateTime") or start.get("date") or "no start")

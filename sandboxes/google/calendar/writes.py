"""Calendar v3 writes: events.insert / patch / update / delete, with sendUpdates and If-Match.

The person owns the primary calendar and may write to the team calendar; a reader calendar
refuses writes with 403 `requiredAccessLevel`. With `sendUpdates=all` (or `externalOnly`) the
guests an update would e-mail are recorded in `CalendarState.notifications`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from charter.sandboxes.google.api import ApiResponse, Call, handles
from charter.sandboxes.google.calendar.reads import calendar_of
from charter.sandboxes.google.calendar.state import (
    Calendar,
    Notification,
    event_bounds,
    new_event_id,
    timestamp,
)
from charter.sandboxes.google.errors import GoogleError, bad_request
from charter.schemas.types import JsonObject

# Fields the server owns: a client's values for them are ignored.
SERVER_FIELDS = ("kind", "etag", "htmlLink", "created", "updated", "creator", "iCalUID", "sequence")
EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
SEND_UPDATES = ("all", "externalOnly", "none")


def _writable(call: Call) -> Calendar:
    calendar = calendar_of(call)
    if not calendar.writable:
        raise GoogleError(
            403, "You need to have writer access to this calendar.", reason="requiredAccessLevel"
        )
    return calendar


def _existing(calendar: Calendar, event_id: str) -> JsonObject:
    event = calendar.events.get(event_id)
    if event is None:
        raise GoogleError(404, "Not Found", reason="notFound")
    if event.get("status") == "cancelled":
        raise GoogleError(410, "Resource has been deleted", reason="deleted", status="")
    return event


def _check_etag(call: Call, event: JsonObject) -> None:
    wanted = call.headers.get("if-match")
    if wanted and wanted != "*" and wanted != event["etag"]:
        raise GoogleError(412, "Precondition Failed", reason="conditionNotMet")


def _when(value: Any, name: str) -> JsonObject:
    if not isinstance(value, dict) or not ({"dateTime", "date"} & value.keys()):
        raise bad_request(f"Missing {name} time.", reason="required")
    try:
        event_bounds({"start": value, "end": value})
    except ValueError:
        raise bad_request(f"Invalid {name} time.", reason="invalid") from None
    return value


def _validate(event: JsonObject) -> None:
    start, end = _when(event.get("start"), "start"), _when(event.get("end"), "end")
    if ("date" in start) != ("date" in end):
        raise bad_request(
            "Start and end times must either both be date or both be dateTime.", reason="invalid"
        )
    low, high = event_bounds({"start": start, "end": end})
    if high < low:
        raise bad_request("The specified time range is empty.", reason="timeRangeEmpty")
    attendees = event.get("attendees") or []
    if not isinstance(attendees, list) or not all(isinstance(a, dict) and a.get("email") for a in attendees):
        raise bad_request("Invalid attendee email.", reason="invalid")


def _people(call: Call, event: JsonObject) -> None:
    """Organizer, creator and attendee flags as Calendar sets them for the caller."""
    me = call.email
    organizer = event.get("organizer") or {"email": me}
    if organizer.get("email") == me:
        organizer = {**organizer, "self": True}
    event["organizer"] = organizer
    for attendee in event.get("attendees") or []:
        attendee.setdefault("responseStatus", "needsAction")
        if attendee["email"] == me:
            attendee["self"] = True
        if attendee["email"] == organizer.get("email"):
            attendee["organizer"] = True


def _send_updates(call: Call, event: JsonObject, action: str) -> None:
    mode = call.arg("sendUpdates") or "none"
    if mode not in SEND_UPDATES:
        raise bad_request(f"Invalid value for sendUpdates: {mode}", reason="invalidParameter")
    guests = [a["email"] for a in event.get("attendees") or [] if not a.get("self")]
    if mode == "externalOnly":
        domain = call.email.rpartition("@")[2]
        guests = [g for g in guests if g.rpartition("@")[2] != domain]
    if mode != "none" and guests:
        notification = Notification(event["id"], action, tuple(guests))  # type: ignore[arg-type]
        call.sandbox.state.calendar.notifications.append(notification)


def _ordered(event: JsonObject) -> JsonObject:
    order = ["kind", "etag", "id", "status", "htmlLink", "created", "updated", "summary", "description"]
    head = {k: event[k] for k in order if k in event}
    return {**head, **{k: v for k, v in event.items() if k not in head}}


@handles("calendar.events.insert")
def insert_event(call: Call) -> ApiResponse:
    """events.insert."""
    calendar = _writable(call)
    body = {k: v for k, v in call.json().items() if k not in SERVER_FIELDS}
    _validate(body)
    ident = body.pop("id") if "id" in body else new_event_id()
    if not isinstance(ident, str) or not EVENT_ID.match(ident):
        raise bad_request("Invalid resource id value.", reason="invalid")
    if ident in calendar.events:
        raise GoogleError(
            409, "The requested identifier already exists.", reason="duplicate", status="ALREADY_EXISTS"
        )
    now = call.sandbox.clock.now()
    event: JsonObject = {
        "kind": "calendar#event",
        "id": ident,
        "status": "confirmed",
        "htmlLink": f"https://www.google.com/calendar/event?eid={ident}",
        "created": timestamp(now),
        "creator": {"email": call.email, "self": True},
        **body,
        "iCalUID": f"{ident}@google.com",
        "sequence": 0,
    }
    _server_defaults(event, {})
    _people(call, event)
    call.sandbox.state.calendar.stamp(calendar, _ordered(event))
    _send_updates(call, event, "created")
    return ApiResponse(calendar.events[ident])


def _merge(into: JsonObject, patch: JsonObject) -> JsonObject:
    for key, value in patch.items():
        if key in SERVER_FIELDS or key == "id":
            continue
        if isinstance(value, dict) and isinstance(into.get(key), dict) and key not in ("start", "end"):
            into[key] = _merge(dict(into[key]), value)
        elif value is None:
            into.pop(key, None)
        else:
            into[key] = copy.deepcopy(value)
    return into


def _server_defaults(event: JsonObject, before: JsonObject) -> None:
    """What Calendar fills in on every write: default reminders, and the type an event keeps for life."""
    event.setdefault("reminders", {"useDefault": True})
    event["eventType"] = before.get("eventType") or event.get("eventType") or "default"


def _save(call: Call, calendar: Calendar, before: JsonObject, after: JsonObject) -> ApiResponse:
    _validate(after)
    _server_defaults(after, before)
    _people(call, after)
    if event_bounds(after) != event_bounds(before) or after.get("attendees") != before.get("attendees"):
        after["sequence"] = int(before.get("sequence", 0)) + 1
    call.sandbox.state.calendar.stamp(calendar, _ordered(after))
    _send_updates(call, after, "updated")
    return ApiResponse(calendar.events[after["id"]])


@handles("calendar.events.patch")
def patch_event(call: Call) -> ApiResponse:
    """events.patch: the given fields change, nested objects merge, lists are replaced."""
    calendar = _writable(call)
    before = _existing(calendar, call.params["eventId"])
    _check_etag(call, before)
    return _save(call, calendar, before, _merge(copy.deepcopy(before), call.json()))


@handles("calendar.events.update")
def update_event(call: Call) -> ApiResponse:
    """events.update: the whole event is replaced, keeping what the server owns."""
    calendar = _writable(call)
    before = _existing(calendar, call.params["eventId"])
    _check_etag(call, before)
    kept = {k: before[k] for k in (*SERVER_FIELDS, "id", "status") if k in before}
    body = {k: v for k, v in call.json().items() if k not in SERVER_FIELDS and k != "id"}
    return _save(call, calendar, before, {**kept, **body})


@handles("calendar.events.delete")
def delete_event(call: Call) -> ApiResponse:
    """events.delete: the event becomes a cancelled tombstone that incremental sync reports."""
    calendar = _writable(call)
    event = _existing(calendar, call.params["eventId"])
    _check_etag(call, event)
    event["status"] = "cancelled"
    call.sandbox.state.calendar.stamp(calendar, event)
    _send_updates(call, event, "cancelled")
    return ApiResponse(None, status=204)

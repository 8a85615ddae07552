"""Calendar v3 reads: calendarList, events.list (paging and sync tokens), events.get, freeBusy."""

from __future__ import annotations

from typing import Any

from charter.sandboxes.clock import parse_iso
from charter.sandboxes.google import paging
from charter.sandboxes.google.api import ApiResponse, Call, handles
from charter.sandboxes.google.calendar.state import Calendar, event_bounds, timestamp
from charter.sandboxes.google.errors import GoogleError, bad_request
from charter.schemas.types import JsonObject

MAX_EVENTS, DEFAULT_EVENTS = 2500, 250
MAX_LIST, DEFAULT_LIST = 250, 100
# Parameters Calendar refuses next to a syncToken.
NOT_WITH_SYNC = (
    "timeMin",
    "timeMax",
    "q",
    "orderBy",
    "updatedMin",
    "iCalUID",
    "privateExtendedProperty",
    "sharedExtendedProperty",
)
SYNC_GONE = "Sync token is no longer valid, a full sync is required."


def calendar_of(call: Call) -> Calendar:
    """The calendar in the path (`primary` is the caller's own), or Calendar's 404."""
    found = call.sandbox.state.calendar.resolve(call.params["calendarId"])
    if found is None:
        raise GoogleError(404, "Not Found", reason="notFound")
    return found


def moment(call: Call, name: str) -> float | None:
    """An RFC 3339 query parameter (an offset is required) as epoch seconds."""
    raw = call.arg(name)
    if raw is None:
        return None
    if not raw[-1:] == "Z" and "+" not in raw[10:] and "-" not in raw[10:]:
        raise bad_request("Bad Request", reason="badRequest")
    try:
        return parse_iso(raw)
    except ValueError:
        raise bad_request("Bad Request", reason="badRequest") from None


def _text(event: JsonObject) -> str:
    people = [event.get("organizer") or {}, *(event.get("attendees") or [])]
    parts = [str(event.get(k, "")) for k in ("summary", "description", "location")]
    parts += [f"{p.get('email', '')} {p.get('displayName', '')}" for p in people]
    return " ".join(parts).lower()


def _extended(event: JsonObject, kind: str, wanted: list[str]) -> bool:
    props = (event.get("extendedProperties") or {}).get(kind) or {}
    return all(props.get(k) == v for k, _, v in (w.partition("=") for w in wanted))


def _matches(call: Call, event: JsonObject, window: tuple[float | None, float | None]) -> bool:
    if event.get("status") == "cancelled" and not call.flag("showDeleted"):
        return False
    start, end = event_bounds(event)
    low, high = window
    if (low is not None and end <= low) or (high is not None and start >= high):
        return False
    q = (call.arg("q") or "").lower().split()
    if q and not all(word in _text(event) for word in q):
        return False
    updated_min = moment(call, "updatedMin")
    if updated_min is not None and parse_iso(event["updated"]) < updated_min:
        return False
    if (uid := call.arg("iCalUID")) is not None and event.get("iCalUID") != uid:
        return False
    return _extended(event, "private", call.args("privateExtendedProperty")) and _extended(
        event, "shared", call.args("sharedExtendedProperty")
    )


def sync_token(calendar: Calendar, seq: int) -> str:
    """A token naming the calendar's state at change number `seq`."""
    return paging.encode({"q": "sync:" + calendar.id, "s": seq, "g": calendar.generation})


def _since(call: Call, calendar: Calendar, token: str) -> int:
    gone = GoogleError(410, SYNC_GONE, reason="fullSyncRequired", status="")
    cursor = paging.decode(token, "sync:" + calendar.id, error=gone)
    if cursor.get("g") != calendar.generation or not isinstance(cursor.get("s"), int):
        raise gone
    clash = [name for name in NOT_WITH_SYNC if call.arg(name) is not None]
    if clash:
        raise bad_request(
            f"The parameter {clash[0]} cannot be used together with syncToken.", reason="invalid"
        )
    return int(cursor["s"])


def _ordered(call: Call, calendar: Calendar, events: list[JsonObject]) -> list[JsonObject]:
    order = call.arg("orderBy")
    if order == "startTime" and not call.flag("singleEvents"):
        raise bad_request(
            "The requested ordering is not available for the particular query.", reason="badRequest"
        )
    if order not in (None, "startTime", "updated"):
        raise bad_request(f"Invalid value for orderBy: {order}", reason="invalidParameter")
    if order == "updated":
        return sorted(events, key=lambda e: (e["updated"], e["id"]))
    return sorted(events, key=lambda e: (event_bounds(e)[0], e["id"]))


def _query_key(call: Call) -> list[tuple[str, str]]:
    ignored = {"pageToken", "maxResults", "fields", "alt", "prettyPrint", "access_token"}
    return sorted((k, v) for k, v in call.query.multi_items() if k not in ignored)


@handles("calendar.events.list")
def list_events(call: Call) -> ApiResponse:
    """events.list: a window, a search, pages of up to 2500, and incremental sync by syncToken."""
    calendar = calendar_of(call)
    token = call.arg("syncToken")
    page_token = call.arg("pageToken")
    query = paging.fingerprint("events", calendar.id, _query_key(call))
    cursor = paging.decode(page_token, query) if page_token else {}
    snapshot = int(cursor.get("snap", calendar.change_seq))
    if token is not None:
        since = _since(call, calendar, token)
        found = [e for e in calendar.events.values() if since < calendar.changed.get(e["id"], 0) <= snapshot]
        found.sort(key=lambda e: (calendar.changed[e["id"]], e["id"]))
    else:
        window = (moment(call, "timeMin"), moment(call, "timeMax"))
        found = _ordered(call, calendar, [e for e in calendar.events.values() if _matches(call, e, window)])
    size = call.page_size(DEFAULT_EVENTS, MAX_EVENTS)
    offset = int(cursor.get("o", 0))
    page = found[offset : offset + size]
    body = _events_body(call, calendar)
    if offset + size < len(found):
        body["nextPageToken"] = paging.encode({"q": query, "o": offset + size, "snap": snapshot})
    else:
        body["nextSyncToken"] = sync_token(calendar, snapshot)
    body["items"] = page
    return ApiResponse(body)


def _events_body(call: Call, calendar: Calendar) -> JsonObject:
    latest = max(
        (e["updated"] for e in calendar.events.values()), default=timestamp(call.sandbox.clock.now())
    )
    body: JsonObject = {
        "kind": "calendar#events",
        "etag": f'"p{calendar.change_seq:016d}"',
        "summary": calendar.summary,
    }
    if calendar.description:
        body["description"] = calendar.description
    body |= {
        "updated": latest,
        "timeZone": calendar.time_zone,
        "accessRole": calendar.access_role,
        "defaultReminders": [{"method": "popup", "minutes": 10}] if calendar.primary else [],
    }
    return body


@handles("calendar.events.get")
def get_event(call: Call) -> ApiResponse:
    """events.get; a deleted event answers 410 Gone as Calendar's does."""
    event = calendar_of(call).events.get(call.params["eventId"])
    if event is None:
        raise GoogleError(404, "Not Found", reason="notFound")
    if event.get("status") == "cancelled":
        raise GoogleError(410, "Resource has been deleted", reason="deleted", status="")
    return ApiResponse(event)


@handles("calendar.calendarList.list")
def list_calendars(call: Call) -> ApiResponse:
    """calendarList.list."""
    state = call.sandbox.state.calendar
    ranks = {"freeBusyReader": 0, "reader": 1, "writer": 2, "owner": 3}
    least = ranks.get(call.arg("minAccessRole") or "freeBusyReader", 0)
    entries = [c.entry_json() for c in state.calendars.values() if ranks[c.access_role] >= least]
    query = paging.fingerprint("calendarList", call.arg("minAccessRole"))
    offset = int(paging.decode(t, query)["o"]) if (t := call.arg("pageToken")) else 0
    size = call.page_size(DEFAULT_LIST, MAX_LIST)
    body: JsonObject = {"kind": "calendar#calendarList", "etag": f'"p{len(entries):016d}"'}
    if offset + size < len(entries):
        body["nextPageToken"] = paging.encode({"q": query, "o": offset + size})
    else:
        body["nextSyncToken"] = paging.encode({"q": "calendarList", "s": len(entries)})
    body["items"] = entries[offset : offset + size]
    return ApiResponse(body)


@handles("calendar.calendarList.get")
def get_calendar_entry(call: Call) -> ApiResponse:
    """calendarList.get."""
    return ApiResponse(calendar_of(call).entry_json())


@handles("calendar.freebusy.query")
def free_busy(call: Call) -> ApiResponse:
    """freebusy.query: busy intervals of each asked calendar between timeMin and timeMax."""
    body = call.json()
    try:
        low, high = parse_iso(str(body["timeMin"])), parse_iso(str(body["timeMax"]))
    except (KeyError, ValueError):
        raise bad_request("Missing timeMin or timeMax.", reason="required") from None
    if high <= low:
        raise bad_request("The specified time range is empty.", reason="timeRangeEmpty")
    items = body.get("items") or []
    calendars: dict[str, Any] = {}
    state = call.sandbox.state.calendar
    for item in items if isinstance(items, list) else []:
        ident = str((item or {}).get("id", ""))
        calendar = state.resolve(ident)
        if calendar is None:
            calendars[ident] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
            continue
        calendars[ident] = {"busy": _busy(calendar, low, high)}
    return ApiResponse(
        {
            "kind": "calendar#freeBusy",
            "timeMin": timestamp(low),
            "timeMax": timestamp(high),
            "calendars": calendars,
        }
    )


def _busy(calendar: Calendar, low: float, high: float) -> list[JsonObject]:
    spans: list[tuple[float, float]] = []
    for event in calendar.events.values():
        if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
            continue
        me = next((a for a in event.get("attendees") or [] if a.get("self")), None)
        if me is not None and me.get("responseStatus") == "declined":
            continue
        start, end = event_bounds(event)
        if end > low and start < high:
            spans.append((max(start, low), min(end, high)))
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [{"start": _z(s), "end": _z(e)} for s, e in merged]


def _z(at: float) -> str:
    return timestamp(at).split(".")[0] + "Z"

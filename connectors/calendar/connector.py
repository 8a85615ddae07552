"""The Google Calendar connector: calendars, events, free/busy and invitations (google-api-python-client)."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar

from googleapiclient.errors import HttpError
from pydantic import BaseModel

from charter.auth.providers.google import (
    CALENDAR_CALENDARLIST_READONLY,
    CALENDAR_EVENTS,
    CALENDAR_EVENTS_READONLY,
    CALENDAR_FREEBUSY,
    method_use,
)
from charter.connectors.base import (
    ActionSpec,
    Attribution,
    Connector,
    DraftPreview,
    Reach,
    WriteContext,
    action,
    reach_of_addresses,
)
from charter.connectors.calendar.bodies import attendees_after, event_body, patch_body, when_text
from charter.connectors.calendar.cursors import Position, encode_cursor, position_of
from charter.connectors.calendar.markers import (
    event_id_for,
    private_properties,
    with_properties,
    write_digest,
    written_by,
)
from charter.connectors.calendar.models import (
    Availability,
    Calendar,
    CreateEvent,
    DeleteEvent,
    Event,
    EventSync,
    FreeBusyQuery,
    GetEvent,
    ListCalendars,
    ListEvents,
    RespondToInvitation,
    SyncEvents,
    UpdateEvent,
)
from charter.connectors.calendar.preview import event_preview
from charter.connectors.calendar.responses import (
    availability_from,
    calendar_from,
    event_from,
    events_from,
    own_entry,
)
from charter.connectors.google.errors import error_from_http
from charter.connectors.google.service import GoogleService
from charter.schemas import CharterError, Conflict, NotFound, Page, WriteResult
from charter.schemas.types import JsonObject

LIST_CALENDARS = (CALENDAR_CALENDARLIST_READONLY,)
READ_EVENTS = (CALENDAR_EVENTS_READONLY,)
FREE_BUSY = (CALENDAR_FREEBUSY,)
WRITE_EVENTS = (CALENDAR_EVENTS,)
_E = "calendar.events."
# Reading events means their details, on shared calendars too, private ones included; writing
# means shared calendars too. Those tags rule out the free/busy, owned-only and public scopes.
_READ = method_use(_E + "get", "details", "private", "shared")
_LIST = method_use(_E + "list", "details", "private", "shared")
_INSERT = method_use(_E + "insert", "shared")
_PATCH = method_use(_E + "patch", "shared")
# The discovery methods each action calls (a draft: what committing it calls); the contract suite
# proves each action's scopes sufficient and minimal for these.
METHODS: dict[str, tuple[str, ...]] = {
    "list_calendars": ("calendar.calendarList.list",),
    "list_events": (_LIST,),
    "get_event": (_READ,),
    "free_busy": ("calendar.freebusy.query",),
    "sync_events": (_LIST,),
    "draft_event": (_LIST, _READ, _INSERT),
    "create_event": (_READ, _INSERT),
    "update_event": (_READ, _PATCH),
    "respond_to_invitation": (_READ, _PATCH),
    "delete_event": (_READ, method_use(_E + "delete", "shared")),
}
FULL_SYNC_AFTER_GONE = "the sync token expired (410 Gone), so every event was listed again"


class CalendarConnector(Connector):
    """Google Calendar: calendars, events, free/busy and invitations, for agents acting for a person."""

    name = "calendar"
    provider = "google"
    display_name: ClassVar[str] = "Google Calendar"
    methods: ClassVar[dict[str, tuple[str, ...]]] = METHODS

    @cached_property
    def google(self) -> GoogleService:
        """The Calendar v3 client for this connection, built on first use."""
        return GoogleService(
            self.credentials,
            "calendar",
            "v3",
            base_url=self.base_url,
            sleep=lambda s: self.sleep(s),
            timeout=self.request_timeout,
        )

    @property
    def calendar(self) -> Any:
        return self.google.service

    @cached_property
    def events(self) -> Any:
        """The client library's `events` resource (building one costs a walk of the discovery tree)."""
        return self.calendar.events()

    # -- read ------------------------------------------------------------------------------

    @action("read", scopes=LIST_CALENDARS)
    def list_calendars(self, request: ListCalendars) -> Page[Calendar]:
        """List the calendars in the account's calendar list: ids, titles, time zones, access."""
        position = position_of(request)
        call = self.calendar.calendarList().list(maxResults=request.page_size, pageToken=position.page_token)
        data = self._run("your calendar list", call)
        calendars = [calendar_from(item) for item in data.get("items") or []]
        return Page[Calendar](items=calendars, next_cursor=self._next(request, data))

    @action("read", scopes=READ_EVENTS)
    def list_events(self, request: ListEvents) -> Page[Event]:
        """List events of a calendar in a time window, optionally matching a free-text search."""
        position = position_of(request)
        params: dict[str, Any] = {
            "calendarId": request.calendar,
            "maxResults": request.page_size,
            "singleEvents": request.single_events,
            "pageToken": position.page_token,
        }
        optional = {
            "timeMin": request.time_min.isoformat() if request.time_min else None,
            "timeMax": request.time_max.isoformat() if request.time_max else None,
            "q": request.query,
            "orderBy": request.order_by,
        }
        params |= {key: value for key, value in optional.items() if value is not None}
        data = self._run(f"events of calendar {request.calendar}", self.events.list(**params))
        return Page[Event](items=events_from(request.calendar, data), next_cursor=self._next(request, data))

    @action("read", scopes=READ_EVENTS)
    def get_event(self, request: GetEvent) -> Event:
        """Get one event: times, attendees and their answers, description, video call, etag."""
        return event_from(request.calendar, self._event(request.calendar, request.event_id))

    @action("read", scopes=FREE_BUSY)
    def free_busy(self, request: FreeBusyQuery) -> Availability:
        """Find when people or calendars are busy over a window (busy intervals only, no details)."""
        body: dict[str, Any] = {
            "timeMin": request.time_min.isoformat(),
            "timeMax": request.time_max.isoformat(),
            "items": [{"id": name} for name in request.calendars],
        }
        if request.time_zone:
            body["timeZone"] = request.time_zone
        data = self._run("a free/busy query", self.calendar.freebusy().query(body=body))
        return availability_from(data, list(request.calendars))

    @action("read", scopes=READ_EVENTS)
    def sync_events(self, request: SyncEvents) -> EventSync:
        """List what changed in a calendar since the last sync token (everything without one)."""
        position = position_of(request)
        token = None if position.full_sync else request.sync_token
        subject = f"changes to calendar {request.calendar}"
        reason = None
        try:
            data = self._run(subject, self._sync_call(request, position.page_token, token))
        except EventGone:
            if token is None:
                raise
            # Google forgot the token: a full listing is the only way back to a known state.
            position, token, reason = Position(full_sync=True), None, FULL_SYNC_AFTER_GONE
            data = self._run(subject, self._sync_call(request, None, None))
        full = token is None
        cursor = Position(data["nextPageToken"], full) if data.get("nextPageToken") else None
        return EventSync(
            items=events_from(request.calendar, data),
            next_cursor=encode_cursor(request, cursor) if cursor else None,
            next_sync_token=data.get("nextSyncToken"),
            full_sync=full,
            full_sync_reason=reason,
        )

    # -- draft -----------------------------------------------------------------------------

    @action("draft", scopes=WRITE_EVENTS, commits="create_event", reaches="person")
    def draft_event(self, change: CreateEvent, attribution: Attribution | None) -> DraftPreview:
        """Propose an event for review; nothing reaches the calendar or any attendee until it is written."""
        timed = isinstance(change.start, datetime)
        zone = change.time_zone or (self._calendar_zone(change.calendar) if timed else None)
        preview = event_preview(change, account=self.credentials.account, zone=zone, attribution=attribution)
        return DraftPreview(preview=preview)

    # -- write -----------------------------------------------------------------------------

    @action("write", scopes=WRITE_EVENTS, reaches="outsiders")
    def create_event(self, change: CreateEvent, ctx: WriteContext) -> WriteResult:
        """Create an event and invite its attendees; inviting outside the account's domain needs approval."""
        digest = write_digest(self.credentials.connection_id, ctx.idempotency_key)
        event_id = event_id_for(self.credentials.connection_id, ctx.idempotency_key)
        data = self._written(change.calendar, event_id, digest) if ctx.is_retry else None
        if data is None:
            body = event_body(change, private_properties(ctx.attribution, digest), event_id)
            call = self.events.insert(
                calendarId=change.calendar,
                body=body,
                sendUpdates=change.send_updates,
                conferenceDataVersion=1 if change.add_video_call else 0,
            )
            data = self._insert(change.calendar, call, event_id, digest)
        summary = f"created {change.title!r} ({when_text(data)}) on calendar {change.calendar}"
        return self._result("create_event", ctx, change.calendar, data, summary)

    @action("write", scopes=WRITE_EVENTS, risks=("rewrites",), reaches="outsiders")
    def update_event(self, change: UpdateEvent, ctx: WriteContext) -> WriteResult:
        """Change an event's title, times, place, notes or attendees; refused if it changed meanwhile."""
        digest = write_digest(self.credentials.connection_id, ctx.idempotency_key)
        current = self._event(change.calendar, change.event_id)
        if not (ctx.is_retry and written_by(current, digest)):
            self._check_etag(change.calendar, change.event_id, current, change.expected_etag)
            body = patch_body(change, current) | {
                "extendedProperties": with_properties(current, private_properties(ctx.attribution, digest))
            }
            current = self._patch(change.calendar, change.event_id, current, body, change.send_updates)
        summary = f"updated {current.get('summary')!r} on calendar {change.calendar}"
        return self._result("update_event", ctx, change.calendar, current, summary)

    @action("write", scopes=WRITE_EVENTS, risks=("rewrites",), reaches="outsiders")
    def respond_to_invitation(self, change: RespondToInvitation, ctx: WriteContext) -> WriteResult:
        """Accept, decline or tentatively accept an invitation as the connected account."""
        digest = write_digest(self.credentials.connection_id, ctx.idempotency_key)
        current = self._event(change.calendar, change.event_id)
        mine = self._own_invitation(change, current)
        title = current.get("summary")
        if mine.get("responseStatus") != change.response or mine.get("comment") != change.comment:
            answered = {**mine, "responseStatus": change.response}
            if change.comment is not None:
                answered["comment"] = change.comment
            body = {
                "attendees": attendees_after(current, answered),
                "extendedProperties": with_properties(current, private_properties(ctx.attribution, digest)),
            }
            current = self._patch(change.calendar, change.event_id, current, body, change.send_updates)
        summary = f"answered {change.response} to {title!r} on calendar {change.calendar}"
        return self._result("respond_to_invitation", ctx, change.calendar, current, summary)

    @action("write", scopes=WRITE_EVENTS, risks=("destructive",), reaches="outsiders")
    def delete_event(self, change: DeleteEvent, ctx: WriteContext) -> WriteResult:
        """Delete an event from a calendar, cancelling it for its attendees."""
        subject = f"event {change.event_id} on calendar {change.calendar}"
        if not (ctx.is_retry and self._gone(change.calendar, change.event_id)):
            call = self.events.delete(
                calendarId=change.calendar, eventId=change.event_id, sendUpdates=change.send_updates
            )
            if change.expected_etag:
                call.headers["If-Match"] = change.expected_etag
            self._run(subject, call)
        return WriteResult(
            action="delete_event",
            id=f"{change.calendar}:{change.event_id}",
            idempotency_key=ctx.idempotency_key,
            summary=f"deleted {subject}",
        )

    # -- per-call risks --------------------------------------------------------------------

    def reach_for(self, spec: ActionSpec, request: BaseModel) -> Reach | None:
        """Everyone the call tells: the guests named, and those the event has now.

        Guests see an edited, moved or cancelled event in their own calendars, notified or not
        (send_updates=none), and a guest removed is told so: an update with `attendees: []`
        reaches every current guest. An answer, and its comment, reach the organizer.
        """
        named: list[str] = []
        if spec.verb != "write":
            return spec.reach
        if isinstance(request, CreateEvent):
            # Even unannounced, an invitation shows up in the attendee's own calendar.
            named = [*request.attendees, *request.optional_attendees]
        elif isinstance(request, UpdateEvent):
            named = [*(request.attendees or []), *request.add_attendees]
            named += self._people(request.calendar, request.event_id)
        elif isinstance(request, RespondToInvitation | DeleteEvent):
            named = self._people(request.calendar, request.event_id)
        else:
            return spec.reach
        return reach_of_addresses(named, self.credentials.account)

    def _people(self, calendar: str, event_id: str) -> list[str]:
        """The organizer and attendees of an event, or a stand-in outside address when it cannot be read.

        Risk is judged before the call; an event that cannot be read is treated as reaching outsiders.
        """
        try:
            event = self.read(GetEvent(calendar=calendar, event_id=event_id))
        except CharterError:
            return ["unknown@unknown.invalid"]
        return [*(a.email for a in event.attendees), *([event.organizer] if event.organizer else [])]

    # -- helpers ---------------------------------------------------------------------------

    def _run(self, subject: str, call: Any) -> JsonObject:
        try:
            data = call.execute()
        except HttpError as exc:
            if exc.status_code == 410:
                raise EventGone(f"{subject} is gone: it was deleted.") from None
            raise error_from_http(exc, subject) from None
        return dict(data or {})

    def _next(self, request: BaseModel, data: JsonObject) -> str | None:
        token = data.get("nextPageToken")
        return encode_cursor(request, Position(str(token))) if token else None

    def _event(self, calendar: str, event_id: str) -> JsonObject:
        subject = f"event {event_id} on calendar {calendar}"
        return self._run(subject, self.events.get(calendarId=calendar, eventId=event_id))

    def _sync_call(self, request: SyncEvents, page_token: str | None, sync_token: str | None) -> Any:
        params: dict[str, Any] = {"calendarId": request.calendar, "maxResults": request.page_size}
        if page_token:
            params["pageToken"] = page_token
        if sync_token:
            params["syncToken"] = sync_token
        return self.events.list(**params)

    def _calendar_zone(self, calendar: str) -> str | None:
        """The calendar's own time zone, in which a person reads its times."""
        call = self.events.list(calendarId=calendar, maxResults=1)
        zone = self._run(f"calendar {calendar}", call).get("timeZone")
        return str(zone) if zone else None

    def _written(self, calendar: str, event_id: str, digest: str) -> JsonObject | None:
        """The event an earlier attempt under the same key created, if its answer was lost."""
        try:
            data = self._event(calendar, event_id)
        except NotFound:
            return None
        return data if written_by(data, digest) and data.get("status") != "cancelled" else None

    def _insert(self, calendar: str, call: Any, event_id: str, digest: str) -> JsonObject:
        try:
            return self._run(f"a new event on calendar {calendar}", call)
        except Conflict:
            # The id is derived from the idempotency key: if it exists, this write already happened.
            data = self._written(calendar, event_id, digest)
            if data is None:
                raise Conflict(
                    f"event id {event_id}, derived from this write's idempotency key, is taken on "
                    f"calendar {calendar} by an event that is not this write's (or was deleted since); "
                    "write again with a new idempotency key."
                ) from None
            return data

    def _check_etag(self, calendar: str, event_id: str, current: JsonObject, expected: str | None) -> None:
        if expected is not None and current.get("etag") != expected:
            raise Conflict(
                f"event {event_id} on calendar {calendar} changed since you read it (etag "
                f"{current.get('etag')}, not {expected}); get_event again and reapply the change."
            )

    def _patch(
        self, calendar: str, event_id: str, current: JsonObject, body: JsonObject, send_updates: str
    ) -> JsonObject:
        call = self.events.patch(calendarId=calendar, eventId=event_id, body=body, sendUpdates=send_updates)
        # If-Match: a change made by someone else since our read fails instead of being overwritten.
        if current.get("etag"):
            call.headers["If-Match"] = current["etag"]
        return self._run(f"event {event_id} on calendar {calendar}", call)

    def _own_invitation(self, change: RespondToInvitation, current: JsonObject) -> JsonObject:
        mine = own_entry(current, self.credentials.account)
        where = f"event {change.event_id} on calendar {change.calendar}"
        if mine is None:
            raise Conflict(
                f"{self.credentials.account} is not invited to {where}; there is nothing to answer."
            )
        if mine.get("organizer"):
            raise Conflict(f"{self.credentials.account} organizes {where}; only invitations can be answered.")
        return mine

    def _gone(self, calendar: str, event_id: str) -> bool:
        try:
            data = self._event(calendar, event_id)
        except NotFound:
            return True
        return data.get("status") == "cancelled"

    def _result(
        self, action_name: str, ctx: WriteContext, calendar: str, data: JsonObject, summary: str
    ) -> WriteResult:
        return WriteResult(
            action=action_name,
            id=f"{calendar}:{data.get('id')}",
            url=data.get("htmlLink"),
            idempotency_key=ctx.idempotency_key,
            summary=summary,
        )


class EventGone(NotFound):
    """Google answered 410 Gone: the event was deleted, or a sync token expired."""

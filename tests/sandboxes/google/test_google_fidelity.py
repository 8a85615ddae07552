"""Every response the Google sandbox gives validates against the discovery document of its method."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from googleapiclient.errors import HttpError

from charter.sandboxes.google import GoogleSandbox
from charter.sandboxes.google.api import HANDLERS
from charter.sandboxes.google.discovery import match, validate_exchanges, validate_response
from charter.sandboxes.google.multipart import parse_batch
from charter.sandboxes.recording import Exchange

Build = Callable[..., Any]


def _raw(to: str, subject: str) -> str:
    msg = EmailMessage()
    msg["To"], msg["Subject"] = to, subject
    msg.set_content("Fidelity.")
    return base64.urlsafe_b64encode(msg.as_bytes()).decode()


def _drive_gmail(gmail: Any) -> None:
    users = gmail.users()
    users.getProfile(userId="me").execute()
    labels = users.labels()
    label = labels.create(userId="me", body={"name": "Fidelity"}).execute()
    labels.get(userId="me", id=label["id"]).execute()
    labels.list(userId="me").execute()
    messages = users.messages()
    ids = [
        m["id"]
        for m in messages.list(userId="me", q="has:attachment OR is:unread", maxResults=3).execute()[
            "messages"
        ]
    ]
    attached = messages.list(userId="me", q="has:attachment").execute()["messages"][0]["id"]
    for fmt in ("full", "metadata", "minimal", "raw"):
        messages.get(userId="me", id=attached, format=fmt).execute()
    part = next(
        p for p in messages.get(userId="me", id=attached).execute()["payload"]["parts"] if p["filename"]
    )
    messages.attachments().get(userId="me", messageId=attached, id=part["body"]["attachmentId"]).execute()
    start = users.getProfile(userId="me").execute()["historyId"]
    messages.modify(
        userId="me", id=ids[0], body={"addLabelIds": [label["id"]], "removeLabelIds": ["UNREAD"]}
    ).execute()
    messages.batchModify(userId="me", body={"ids": ids[1:], "addLabelIds": ["STARRED"]}).execute()
    messages.trash(userId="me", id=ids[1]).execute()
    messages.untrash(userId="me", id=ids[1]).execute()
    thread = messages.get(userId="me", id=ids[0]).execute()["threadId"]
    users.threads().get(userId="me", id=thread).execute()
    users.threads().list(userId="me", maxResults=2).execute()
    drafts = users.drafts()
    draft = drafts.create(userId="me", body={"message": {"raw": _raw("lee@acme.com", "One")}}).execute()
    drafts.update(
        userId="me", id=draft["id"], body={"message": {"raw": _raw("lee@acme.com", "Two")}}
    ).execute()
    drafts.get(userId="me", id=draft["id"]).execute()
    drafts.list(userId="me").execute()
    drafts.send(userId="me", body={"id": draft["id"]}).execute()
    spare = drafts.create(userId="me", body={"message": {"raw": _raw("lee@acme.com", "Spare")}}).execute()
    drafts.delete(userId="me", id=spare["id"]).execute()
    messages.send(userId="me", body={"raw": _raw("jo.smith@gmail.com", "Direct")}).execute()
    users.history().list(userId="me", startHistoryId=start).execute()
    batch = gmail.new_batch_http_request()
    for ident in ids:
        batch.add(messages.get(userId="me", id=ident, format="metadata"))
    batch.add(messages.get(userId="me", id="0000000000000000"))
    batch.execute()


def _drive_gmail_full_access(build: Build) -> None:
    full = build("gmail", ["https://mail.google.com/"])
    ident = full.users().messages().list(userId="me", maxResults=1).execute()["messages"][0]["id"]
    full.users().messages().delete(userId="me", id=ident).execute()


def _drive_calendar(calendar: Any, build: Build) -> None:
    now = datetime.now(tz=UTC).replace(microsecond=0)
    iso = lambda d: (now + timedelta(days=d)).isoformat().replace("+00:00", "Z")  # noqa: E731
    calendar.calendarList().list().execute()
    calendar.calendarList().get(calendarId="primary").execute()
    events = calendar.events()
    listed = events.list(
        calendarId="primary", timeMin=iso(0), timeMax=iso(7), singleEvents=True, orderBy="startTime"
    ).execute()
    events.get(calendarId="primary", eventId=listed["items"][0]["id"]).execute()
    full = events.list(calendarId="primary", maxResults=10).execute()
    while "nextPageToken" in full:
        full = events.list(calendarId="primary", maxResults=10, pageToken=full["nextPageToken"]).execute()
    body = {
        "summary": "Fidelity",
        "start": {"dateTime": iso(2)},
        "end": {"dateTime": iso(2.05)},
        "attendees": [{"email": "dana@partner.example"}],
        "extendedProperties": {"private": {"charter.agent": "fidelity"}},
    }
    created = events.insert(calendarId="primary", body=body, sendUpdates="all").execute()
    events.patch(calendarId="primary", eventId=created["id"], body={"location": "Room 1"}).execute()
    events.update(
        calendarId="primary", eventId=created["id"], body={**body, "summary": "Fidelity 2"}
    ).execute()
    events.delete(calendarId="primary", eventId=created["id"]).execute()
    events.list(calendarId="primary", syncToken=full["nextSyncToken"]).execute()
    build("calendar", ["calendar.freebusy"]).freebusy().query(
        body={"timeMin": iso(0), "timeMax": iso(3), "items": [{"id": "primary"}]}
    ).execute()
    batch = calendar.new_batch_http_request()
    for item in listed["items"][:3]:
        batch.add(events.get(calendarId="primary", eventId=item["id"]))
    batch.execute()


def _drive_errors(gsb: GoogleSandbox, gmail: Any, calendar: Any, http: httpx.Client) -> None:
    http.get(gsb.url + "/gmail/v1/users/me/profile")
    http.get(gsb.url + "/calendar/v3/users/me/calendarList", headers={"Authorization": "Bearer ya29.bad"})
    for request in (
        gmail.users().messages().get(userId="me", id="ffffffffffffffff"),
        gmail.users().history().list(userId="me", startHistoryId="1"),
        calendar.events().get(calendarId="primary", eventId="nosuchevent00"),
        calendar.events().list(calendarId="primary", syncToken="garbage"),
        calendar.events().list(calendarId="primary", orderBy="startTime"),
    ):
        with pytest.raises(HttpError):
            request.execute()
    gsb.quota.exhaust("gmail")
    with pytest.raises(HttpError):
        gmail.users().getProfile(userId="me").execute()
    gsb.faults.fail_next(1, status=503, path="/calendar/v3/users/me/calendarList")
    with pytest.raises(HttpError):
        calendar.calendarList().list().execute()


def _drive_oauth(gsb: GoogleSandbox, http: httpx.Client) -> None:
    from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    access, refresh = gsb.oauth.issue_token("mona@acme.com", ["gmail.readonly", "email"])
    client = {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET}
    http.post(gsb.url + "/token", data={"grant_type": "refresh_token", "refresh_token": refresh, **client})
    http.post(gsb.url + "/token", data={"grant_type": "refresh_token", "refresh_token": "1//nope", **client})
    http.get(gsb.url + "/oauth2/v3/userinfo", headers={"Authorization": f"Bearer {access}"})
    http.post(gsb.url + "/revoke", params={"token": refresh})
    http.post(gsb.url + "/revoke", params={"token": refresh})


def _methods_seen(exchanges: list[Exchange]) -> set[str]:
    seen: set[str] = set()
    for ex in exchanges:
        calls = [(ex.method, ex.path)]
        if ex.path.startswith("/batch") and ex.status == 200:
            parts = parse_batch(ex.request_headers["content-type"], ex.request_body)
            calls = [(p.method, p.path) for p in parts]
        seen |= {found[0].id for m, p in calls if (found := match(m, p)) is not None}
    return seen


def test_every_recorded_response_matches_its_discovery_schema(
    gsb: GoogleSandbox, gmail: Any, calendar: Any, build: Build, http: httpx.Client
) -> None:
    _drive_gmail(gmail)
    _drive_gmail_full_access(build)
    _drive_calendar(calendar, build)
    _drive_errors(gsb, gmail, calendar, http)
    _drive_oauth(gsb, http)  # last: revoking ends every token of mona for this client
    exchanges = gsb.requests.entries
    assert len(exchanges) > 50
    assert validate_exchanges(exchanges) == []
    assert _methods_seen(exchanges) == set(HANDLERS), "every implemented method is driven"


def test_the_validator_catches_what_google_would_not_send() -> None:
    good = {
        "id": "18c",
        "threadId": "18c",
        "historyId": "12",
        "internalDate": "1700000000000",
        "sizeEstimate": 5,
    }
    assert validate_response("gmail.users.messages.get", good) == []
    assert validate_response("gmail.users.messages.get", {**good, "historyId": 12})
    assert validate_response("gmail.users.messages.get", {**good, "subject": "undeclared"})
    assert validate_response(
        "gmail.users.messages.get", {**good, "payload": {"body": {"data": "not base64!"}}}
    )
    event = {"id": "abc", "start": {"dateTime": "2025-01-01 10:00"}, "end": {"date": "2025-01-01"}}
    assert validate_response("calendar.events.get", event)
    assert validate_response("calendar.events.delete", {"unexpected": True})
    assert validate_response("gmail.users.messages.get", {"error": {"code": 404}}, status=404)
    assert validate_response("gmail.users.nosuchmethod", {})

"""The first slice: OAuth token check, messages.list / get and events.list through the real client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from charter.sandboxes.google import GoogleSandbox

Build = Callable[..., Any]


def test_profile_names_mona_and_the_current_history_id(gmail: Any, gsb: GoogleSandbox) -> None:
    profile = gmail.users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == "mona@acme.com"
    assert profile["historyId"] == str(gsb.state.gmail.history_id)
    assert profile["messagesTotal"] >= 55


def test_unread_search_and_full_message(gmail: Any) -> None:
    found = gmail.users().messages().list(userId="me", q="is:unread").execute()
    assert found["resultSizeEstimate"] == len(found["messages"]) > 5
    msg = gmail.users().messages().get(userId="me", id=found["messages"][0]["id"]).execute()
    assert "UNREAD" in msg["labelIds"]
    assert {h["name"] for h in msg["payload"]["headers"]} >= {"From", "To", "Subject", "Message-ID"}


def test_events_list_pages_in_start_order(calendar: Any) -> None:
    first = (
        calendar.events()
        .list(calendarId="primary", maxResults=5, singleEvents=True, orderBy="startTime")
        .execute()
    )
    assert len(first["items"]) == 5
    assert "nextPageToken" in first
    starts = [e["start"].get("dateTime", e["start"].get("date")) for e in first["items"]]
    assert starts == sorted(starts)


def test_a_token_without_the_methods_scope_is_refused(build: Build) -> None:
    calendar_only = build("gmail", ["calendar.readonly"])
    with pytest.raises(HttpError) as refused:
        calendar_only.users().messages().list(userId="me").execute()
    assert refused.value.resp.status == 403

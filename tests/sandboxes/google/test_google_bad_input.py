"""Gmail and Calendar on the sandbox answer bad input as Google does, through google-api-python-client.

Ids Gmail cannot parse are its 400 `Invalid id value` (ids it parses but does not hold stay 404), a
modify that changes nothing is a 400, every write's request body is checked against the types the
discovery document declares, and Calendar's update answers with the fields insert and get carry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from googleapiclient.errors import HttpError

from charter.sandboxes.google import GoogleSandbox
from charter.sandboxes.google.api import HANDLERS
from charter.sandboxes.google.discovery import load_document, method, validate_response

UNPARSABLE = ["nope", "xyz!", "1" * 17, "0x12", " 1a"]


def _error(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, dict[str, Any]]:
    return int(exc.value.resp.status), json.loads(exc.value.content)["error"]


def _message_id(gmail: Any) -> str:
    return str(gmail.users().messages().list(userId="me").execute()["messages"][0]["id"])


@pytest.mark.parametrize("ident", UNPARSABLE)
def test_an_id_gmail_cannot_parse_is_its_400_invalid_id_value(gmail: Any, ident: str) -> None:
    messages = gmail.users().messages()
    calls = [
        messages.get(userId="me", id=ident),
        messages.modify(userId="me", id=ident, body={"addLabelIds": ["STARRED"]}),
        messages.trash(userId="me", id=ident),
        messages.untrash(userId="me", id=ident),
        messages.attachments().get(userId="me", messageId=ident, id="a1"),
        gmail.users().threads().get(userId="me", id=ident),
        messages.batchModify(userId="me", body={"ids": [ident], "addLabelIds": ["STARRED"]}),
    ]
    for call in calls:
        with pytest.raises(HttpError) as refused:
            call.execute()
        status, error = _error(refused)
        assert (status, error["message"], error["status"]) == (400, "Invalid id value", "INVALID_ARGUMENT")
        assert error["errors"][0]["reason"] == "invalidArgument"
        assert validate_response("gmail.users.messages.get", {"error": error}, status) == []


def test_control_an_id_gmail_parses_but_does_not_hold_is_a_404(gmail: Any) -> None:
    for ident in ("0000000000000000", "ffff", "ABCDEF0123456789"):
        with pytest.raises(HttpError) as missing:
            gmail.users().messages().get(userId="me", id=ident).execute()
        assert _error(missing)[0] == 404


@pytest.mark.parametrize("body", [{}, {"addLabelIds": []}, {"addLabelIds": [], "removeLabelIds": []}])
def test_a_modify_that_changes_nothing_is_a_400_and_changes_nothing(
    gmail: Any, gsb: GoogleSandbox, body: dict[str, Any]
) -> None:
    ident = _message_id(gmail)
    history = gsb.state.gmail.history_id
    for call in (
        gmail.users().messages().modify(userId="me", id=ident, body=body),
        gmail.users().messages().batchModify(userId="me", body={"ids": [ident], **body}),
    ):
        with pytest.raises(HttpError) as refused:
            call.execute()
        status, error = _error(refused)
        assert (status, error["message"]) == (400, "No label add or removes specified")
    assert gsb.state.gmail.history_id == history
    changed = (
        gmail.users().messages().modify(userId="me", id=ident, body={"addLabelIds": ["STARRED"]}).execute()
    )
    assert "STARRED" in changed["labelIds"]


def _event_body() -> dict[str, Any]:
    return {
        "summary": "Fields check",
        "start": {"dateTime": "2026-01-07T10:00:00Z"},
        "end": {"dateTime": "2026-01-07T11:00:00Z"},
    }


def test_update_and_patch_answer_with_the_fields_insert_and_get_carry(calendar: Any) -> None:
    events = calendar.events()
    inserted = events.insert(calendarId="primary", body=_event_body()).execute()
    got = events.get(calendarId="primary", eventId=inserted["id"]).execute()
    updated = events.update(calendarId="primary", eventId=inserted["id"], body=_event_body()).execute()
    cleared = events.patch(calendarId="primary", eventId=inserted["id"], body={"reminders": None}).execute()
    again = events.get(calendarId="primary", eventId=inserted["id"]).execute()
    for answer in (inserted, got, updated, cleared, again):
        assert answer["reminders"] == {"useDefault": True}
        assert answer["eventType"] == "default"
        assert validate_response("calendar.events.get", answer) == []
    volatile = {"etag", "updated", "sequence"}
    assert set(updated) - volatile == set(inserted) - volatile == set(got) - volatile


def test_update_keeps_an_events_type_and_its_own_reminders(calendar: Any) -> None:
    events = calendar.events()
    body = {
        **_event_body(),
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]},
    }
    made = events.insert(calendarId="primary", body={**body, "eventType": "focusTime"}).execute()
    assert made["eventType"] == "focusTime"
    updated = events.update(calendarId="primary", eventId=made["id"], body=body).execute()
    assert updated["eventType"] == "focusTime"
    assert updated["reminders"] == body["reminders"]


# -- every write's body against the discovery document ----------------------------------------

_WRONG = [("string", ["x"]), ("boolean", "yes"), ("integer", "seven"), ("array", "x"), ("object", 7)]


def _wrong_for(schema: dict[str, Any]) -> object:
    kind = "object" if "$ref" in schema else schema.get("type")
    return next(value for k, value in _WRONG if k == kind)


@pytest.fixture
def api(gsb: GoogleSandbox) -> Iterator[httpx.Client]:
    access, _ = gsb.oauth.issue_token(
        "mona@acme.com",
        ["gmail.readonly", "gmail.compose", "gmail.modify", "calendar.events", "calendar.readonly"],
    )
    with httpx.Client(base_url=gsb.url, headers={"Authorization": f"Bearer {access}"}, timeout=10) as client:
        yield client


def _path(api: httpx.Client, gsb: GoogleSandbox, method_id: str) -> str:
    """A concrete path of the method on the seed data (a draft made first when it names one)."""
    box = gsb.state.gmail
    if "drafts" in method_id and not box.drafts:
        made = api.post(
            "/gmail/v1/users/me/drafts", json={"message": {"raw": "VG86IGxlZUBhY21lLmNvbQoKaGk="}}
        )
        assert made.status_code == 200, made.text
    owner = gsb.state.calendar.owner
    values = {
        "userId": "me",
        "id": next(iter(box.drafts)) if "drafts" in method_id else next(iter(box.messages)),
        "messageId": next(iter(box.messages)),
        "calendarId": "primary",
        "eventId": next(iter(gsb.state.calendar.calendars[owner].events)),
    }
    path = method(method_id).path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value).replace("{+" + name + "}", value)
    return path


WRITES = sorted(m for m in HANDLERS if method(m).request is not None and "/upload/" not in method(m).path)


@pytest.mark.parametrize("method_id", WRITES)
def test_a_field_of_the_wrong_type_is_googles_400_for_every_write(
    api: httpx.Client, gsb: GoogleSandbox, method_id: str
) -> None:
    spec = method(method_id)
    assert spec.request is not None
    properties = load_document(spec.api)["schemas"][spec.request]["properties"]
    typed = {n: p for n, p in properties.items() if "$ref" in p or p.get("type") in dict(_WRONG)}
    assert typed
    path = _path(api, gsb, method_id)
    for name, schema in typed.items():
        answer = api.request(spec.http_method, path, json={name: _wrong_for(schema)})
        assert answer.status_code == 400, (name, answer.status_code, answer.text)
        error = answer.json()["error"]
        assert error["message"].startswith(f"Invalid value at '{name}' ("), error
        assert validate_response(method_id, answer.json(), 400) == []


@pytest.mark.parametrize("raw", [b"[1]", b"{bad", b"\xff", b"[" * 10_000, b"null"])
def test_a_body_that_is_not_a_json_object_is_a_400_parse_error(
    api: httpx.Client, gsb: GoogleSandbox, raw: bytes
) -> None:
    for method_id in WRITES:
        spec = method(method_id)
        answer = api.request(spec.http_method, _path(api, gsb, method_id), content=raw,
                             headers={"content-type": "application/json"})  # fmt: skip
        assert answer.status_code == 400, (method_id, answer.text)
        assert answer.json()["error"]["errors"][0]["reason"] == "parseError"

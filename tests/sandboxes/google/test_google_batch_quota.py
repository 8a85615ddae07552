"""Batch requests, quota in Google's units, and Google's 401 / 403 answers with their exact bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from googleapiclient.errors import HttpError

from charter.sandboxes.google import GoogleSandbox

Build = Callable[..., Any]
Results = dict[str, Any]


def _collect(results: Results) -> Callable[[str, Any, Exception | None], None]:
    def done(request_id: str, response: Any, exception: Exception | None) -> None:
        results[request_id] = exception if exception is not None else response

    return done


def _message_ids(gmail: Any, count: int) -> list[str]:
    found = gmail.users().messages().list(userId="me", maxResults=count, includeSpamTrash=True).execute()
    return [m["id"] for m in found["messages"]]


def test_a_batch_of_100_gets_answers_every_part(gsb: GoogleSandbox, gmail: Any) -> None:
    gsb.seed_bulk(messages=100)
    ids = _message_ids(gmail, 100)
    results: Results = {}
    batch = gmail.new_batch_http_request(callback=_collect(results))
    for ident in ids:
        batch.add(gmail.users().messages().get(userId="me", id=ident, format="metadata"), request_id=ident)
    batch.execute()
    assert set(results) == set(ids)
    assert all(results[i]["id"] == i for i in ids)
    assert gsb.requests.count("POST", "/batch") == 1
    assert gsb.quota.units_spent["gmail"] == 5 + 100 * 5


def test_a_batch_of_101_is_refused_whole(gsb: GoogleSandbox, gmail: Any) -> None:
    gsb.seed_bulk(messages=101)
    ids = _message_ids(gmail, 101)
    batch = gmail.new_batch_http_request()
    for ident in ids:
        batch.add(gmail.users().messages().get(userId="me", id=ident))
    with pytest.raises(HttpError) as refused:
        batch.execute()
    assert refused.value.resp.status == 400
    assert "more than 100" in str(refused.value)


def test_calendar_batch_and_a_part_with_an_error(calendar: Any, gsb: GoogleSandbox) -> None:
    ids = [e["id"] for e in gsb.state.calendar.events("primary")[:3]] + ["nosuchevent00"]
    results: Results = {}
    batch = calendar.new_batch_http_request(callback=_collect(results))
    for ident in ids:
        batch.add(calendar.events().get(calendarId="primary", eventId=ident), request_id=ident)
    batch.execute()
    assert [results[i]["id"] for i in ids[:3]] == ids[:3]
    assert isinstance(results["nosuchevent00"], HttpError)
    assert results["nosuchevent00"].resp.status == 404
    assert gsb.requests.count("POST", "/batch/calendar/v3") == 1


def test_faults_armed_for_a_path_hit_the_matching_batch_part(gsb: GoogleSandbox, gmail: Any) -> None:
    ids = _message_ids(gmail, 3)
    gsb.faults.fail_next(1, status=503, path=f"/gmail/v1/users/me/messages/{ids[1]}")
    results: Results = {}
    batch = gmail.new_batch_http_request(callback=_collect(results))
    for ident in ids:
        batch.add(gmail.users().messages().get(userId="me", id=ident), request_id=ident)
    batch.execute()
    assert isinstance(results[ids[1]], HttpError)
    assert results[ids[1]].resp.status == 503
    assert results[ids[0]]["id"] == ids[0]


def test_batch_body_that_is_not_multipart_is_400(gsb: GoogleSandbox, http: httpx.Client) -> None:
    answer = http.post(
        gsb.url + "/batch/gmail/v1", content=b"{}", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 400


def test_quota_exceeded_is_429_rate_limit_exceeded(gsb: GoogleSandbox, gmail: Any) -> None:
    gsb.quota.exhaust("gmail")
    with pytest.raises(HttpError) as limited:
        gmail.users().getProfile(userId="me").execute()
    assert limited.value.resp.status == 429
    body = limited.value.content
    assert b'"reason": "rateLimitExceeded"' in body
    assert b'"domain": "usageLimits"' in body
    assert b'"status": "RESOURCE_EXHAUSTED"' in body
    gsb.clock.advance(1)
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == "mona@acme.com"


def test_quota_can_answer_403_user_rate_limit_exceeded(
    gsb: GoogleSandbox, gsb_token: str, http: httpx.Client
) -> None:
    gsb.quota.style = "403 userRateLimitExceeded"
    gsb.quota.exhaust("gmail")
    answer = http.get(
        gsb.url + "/gmail/v1/users/me/profile", headers={"Authorization": f"Bearer {gsb_token}"}
    )
    assert answer.status_code == 403
    assert answer.json() == {
        "error": {
            "code": 403,
            "message": "User Rate Limit Exceeded",
            "errors": [
                {
                    "message": "User Rate Limit Exceeded",
                    "domain": "usageLimits",
                    "reason": "userRateLimitExceeded",
                }
            ],
            "status": "PERMISSION_DENIED",
        }
    }
    assert answer.headers["retry-after"] == "1"


def test_gmail_units_run_out_at_the_per_second_rate(
    gsb: GoogleSandbox, gsb_token: str, http: httpx.Client
) -> None:
    # 50 units of burst refilled at 1 unit a second: ten messages.list calls (5 units each), then 429
    # until five seconds have passed; the real time the calls take refills far too little to matter.
    gsb.quota.gmail_units_per_second, gsb.quota.gmail_burst_seconds = 1, 50
    headers = {"Authorization": f"Bearer {gsb_token}"}
    statuses = [
        http.get(gsb.url + "/gmail/v1/users/me/messages", headers=headers).status_code for _ in range(12)
    ]
    assert statuses == [200] * 10 + [429] * 2
    gsb.clock.advance(5)
    assert http.get(gsb.url + "/gmail/v1/users/me/messages", headers=headers).status_code == 200


def test_calendar_counts_requests_per_minute(gsb: GoogleSandbox, calendar: Any) -> None:
    gsb.quota.calendar_per_minute = 2
    gsb.clock.advance(60 - gsb.clock.now() % 60)  # start of a minute: the window cannot roll over mid-test
    calendar.calendarList().list().execute()
    calendar.calendarList().list().execute()
    with pytest.raises(HttpError) as limited:
        calendar.calendarList().list().execute()
    assert limited.value.resp.status == 429
    gsb.clock.advance(60)
    assert calendar.calendarList().list().execute()["items"]


def test_injected_rate_limit_has_googles_body(gsb: GoogleSandbox, gsb_token: str, http: httpx.Client) -> None:
    gsb.faults.rate_limit_next(1, retry_after=7, status=403)
    answer = http.get(
        gsb.url + "/gmail/v1/users/me/profile", headers={"Authorization": f"Bearer {gsb_token}"}
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["errors"][0]["reason"] == "userRateLimitExceeded"
    assert answer.headers["retry-after"] == "7"


def test_missing_and_bad_credentials_are_401(gsb: GoogleSandbox, http: httpx.Client) -> None:
    missing = http.get(gsb.url + "/gmail/v1/users/me/profile")
    assert missing.status_code == 401
    assert missing.json()["error"]["errors"][0]["reason"] == "required"
    bad = http.get(
        gsb.url + "/calendar/v3/users/me/calendarList", headers={"Authorization": "Bearer ya29.nope"}
    )
    assert bad.status_code == 401
    assert bad.json()["error"]["status"] == "UNAUTHENTICATED"
    assert bad.json()["error"]["errors"][0] == {
        "message": "Invalid Credentials",
        "domain": "global",
        "reason": "authError",
        "location": "Authorization",
        "locationType": "header",
    }
    assert 'error="invalid_token"' in bad.headers["www-authenticate"]


def test_missing_scope_is_403_insufficient_permissions(gsb: GoogleSandbox, http: httpx.Client) -> None:
    access, _ = gsb.oauth.issue_token("mona@acme.com", ["gmail.readonly"])
    answer = http.post(
        gsb.url + "/gmail/v1/users/me/drafts",
        headers={"Authorization": f"Bearer {access}"},
        json={"message": {}},
    )
    assert answer.status_code == 403
    assert answer.json() == {
        "error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "errors": [
                {
                    "message": "Insufficient Permission",
                    "domain": "global",
                    "reason": "insufficientPermissions",
                }
            ],
            "status": "PERMISSION_DENIED",
        }
    }
    challenge = answer.headers["www-authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert "https://www.googleapis.com/auth/gmail.compose" in challenge
    assert gsb.state.gmail.drafts == {}


def test_batch_parts_are_authenticated_one_by_one(gsb: GoogleSandbox, gmail: Any, build: Build) -> None:
    readonly = build("gmail", ["gmail.readonly"])
    ident = _message_ids(gmail, 1)[0]
    results: Results = {}
    batch = readonly.new_batch_http_request(callback=_collect(results))
    batch.add(readonly.users().messages().get(userId="me", id=ident), request_id="read")
    batch.add(readonly.users().messages().trash(userId="me", id=ident), request_id="trash")
    batch.execute()
    assert results["read"]["id"] == ident
    assert isinstance(results["trash"], HttpError)
    assert results["trash"].resp.status == 403
    assert "TRASH" not in gsb.state.gmail.messages[ident].label_ids


def test_unknown_batch_content_id_format_is_still_echoed(
    gsb: GoogleSandbox, gsb_token: str, http: httpx.Client
) -> None:
    body = (
        "--b\r\nContent-Type: application/http\r\nContent-ID: <item-7>\r\n\r\n"
        "GET /gmail/v1/users/me/profile HTTP/1.1\r\n\r\n\r\n--b--\r\n"
    )
    answer = http.post(
        gsb.url + "/batch/gmail/v1",
        content=body.encode(),
        headers={"content-type": "multipart/mixed; boundary=b", "Authorization": f"Bearer {gsb_token}"},
    )
    assert answer.status_code == 200
    assert "Content-ID: <response-item-7>" in answer.text
    assert "HTTP/1.1 200 OK" in answer.text

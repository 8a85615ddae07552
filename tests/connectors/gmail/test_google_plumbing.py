"""The shared Google plumbing: token bridge, transport, error mapping and batches, over a fake wire."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import httpx
import pytest

from charter.connectors.base import TokenRejected
from charter.connectors.google import (
    MAX_BATCH,
    BatchFailure,
    ConnectionCredentials,
    ConnectionHttp,
    GoogleService,
    error_for,
    read_error,
)
from charter.connectors.google.batch import decode_batch, encode_batch
from charter.schemas import ConfigurationError, NotFound, RateLimited, ScopeMissing, UpstreamError

Handler = Callable[[httpx.Request], httpx.Response]
Part = Callable[[int], tuple[int, dict[str, object]]]


class FakeCredentials:
    connection_id = "gmail-mona"
    account = "mona@acme.com"
    granted_scopes = frozenset({"https://www.googleapis.com/auth/gmail.readonly"})

    def __init__(self) -> None:
        self.token = "ya29.first"

    def access_token(self) -> str:
        return self.token

    def refresh(self, rejected: str) -> str:
        self.token = "ya29.second"
        return self.token


def google_error(status: int, reason: str, domain: str = "global") -> httpx.Response:
    body = {"error": {"code": status, "message": reason, "errors": [{"reason": reason, "domain": domain}]}}
    return httpx.Response(status, json=body)


def batch_answer(request: httpx.Request, part: Part) -> httpx.Response:
    ids = re.findall(r"Content-ID: <([^>]+)>", request.content.decode())
    chunks = []
    for index, content_id in enumerate(ids):
        status, body = part(index)
        inner = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\r\n{json.dumps(body)}"
        chunks.append(
            f"--b\r\nContent-Type: application/http\r\nContent-ID: <response-{content_id}>\r\n\r\n{inner}\r\n"
        )
    return httpx.Response(
        200, headers={"content-type": "multipart/mixed; boundary=b"}, content="".join(chunks) + "--b--"
    )


def service(handler: Handler, sleeps: list[float] | None = None) -> GoogleService:
    creds = FakeCredentials()
    api = GoogleService(
        creds,
        "gmail",
        "v1",
        base_url="http://sandbox.test",
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
    )
    client = httpx.Client(transport=httpx.MockTransport(handler))
    api.http = ConnectionHttp(ConnectionCredentials(creds), client=client)
    return api


def test_requests_go_to_the_base_url_with_the_connections_bearer_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"labels": []})

    api = service(handler)
    assert api.execute(api.service.users().labels().list(userId="me"), "labels") == {"labels": []}
    assert str(seen[0].url).startswith("http://sandbox.test/gmail/v1/users/me/labels")
    assert seen[0].headers["authorization"] == "Bearer ya29.first"


def test_a_401_becomes_token_rejected_for_the_connector_base_to_refresh() -> None:
    api = service(lambda request: google_error(401, "authError"))
    with pytest.raises(TokenRejected):
        api.execute(api.service.users().labels().list(userId="me"), "labels")


def test_the_bridge_never_refreshes_by_itself() -> None:
    creds = ConnectionCredentials(FakeCredentials())
    assert creds.valid
    with pytest.raises(TokenRejected):
        creds.refresh(None)
    assert "ya29" not in repr(creds)


def test_a_dropped_connection_is_an_upstream_error_and_is_not_resent() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.RemoteProtocolError("server disconnected")

    api = service(handler)
    with pytest.raises(UpstreamError, match="try again"):
        api.execute(api.service.users().drafts().send(userId="me", body={"id": "d1"}), "a send")
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("status", "reason", "domain"),
    [
        (403, "userRateLimitExceeded", "usageLimits"),
        (403, "rateLimitExceeded", "usageLimits"),
        (429, "rateLimitExceeded", "usageLimits"),
    ],
)
def test_quota_answers_are_rate_limits_never_permission_errors(status: int, reason: str, domain: str) -> None:
    api = service(lambda request: google_error(status, reason, domain))
    with pytest.raises(RateLimited) as caught:
        api.execute(api.service.users().labels().list(userId="me"), "labels")
    assert caught.value.details["retry_after"] == 1.0


def test_insufficient_permissions_names_the_scope_google_asked_for() -> None:
    scope = "https://www.googleapis.com/auth/gmail.modify"

    def handler(request: httpx.Request) -> httpx.Response:
        answer = google_error(403, "insufficientPermissions")
        answer.headers["WWW-Authenticate"] = f'Bearer realm="x", error="insufficient_scope", scope="{scope}"'
        return answer

    api = service(handler)
    with pytest.raises(ScopeMissing) as caught:
        api.execute(api.service.users().messages().trash(userId="me", id="m1"), "message m1")
    assert caught.value.details["missing"] == [scope]


def test_a_retry_after_header_sets_the_wait() -> None:
    error = read_error(429, b"{}", {"Retry-After": "7"})
    mapped = error_for(error, "labels")
    assert isinstance(mapped, RateLimited)
    assert mapped.details["retry_after"] == 7.0


def test_a_body_that_is_not_json_still_maps_by_status() -> None:
    assert isinstance(error_for(read_error(404, b"<html>", {}), "message m1"), NotFound)


def test_batches_hold_at_most_one_hundred_calls() -> None:
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(request.content.decode().count("Content-ID:"))
        return batch_answer(request, lambda index: (200, {"id": str(index)}))

    api = service(handler)
    calls = [api.service.users().messages().get(userId="me", id=str(i)) for i in range(250)]
    results = api.batch(calls, "messages")
    assert sizes == [MAX_BATCH, MAX_BATCH, 50]
    assert len(results) == 250


def test_rate_limited_parts_are_sent_again_after_the_wait_and_others_kept() -> None:
    rounds: list[int] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        rounds.append(request.content.decode().count("Content-ID:"))
        first = len(rounds) == 1

        def part(index: int) -> tuple[int, dict[str, object]]:
            if first and index == 1:
                return 403, {"error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded"}]}}
            if first and index == 2:
                return 404, {"error": {"code": 404, "errors": [{"reason": "notFound"}]}}
            return 200, {"ok": True}

        return batch_answer(request, part)

    api = service(handler, sleeps)
    calls = [api.service.users().messages().get(userId="me", id=str(i)) for i in range(3)]
    results = api.batch(calls, "messages")
    assert rounds == [3, 1]
    assert sleeps == [1.0]
    assert results[0] == {"ok": True}
    assert results[1] == {"ok": True}
    assert isinstance(results[2], BatchFailure)
    assert isinstance(results[2].error, NotFound)


def test_a_batch_size_over_googles_limit_is_refused() -> None:
    api = service(lambda request: httpx.Response(200))
    with pytest.raises(ConfigurationError):
        api.batch([], "messages", size=101)


def test_a_batch_answer_with_bare_line_feeds_and_lengths_is_read() -> None:
    body = (
        b"--b\nContent-Type: application/http\nContent-ID: <response-1>\n\n"
        b'HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 9\n\n{"a": 1}\n\n'
        b"--b--\n"
    )
    [(resp, content)] = decode_batch("multipart/mixed; boundary=b", body, ["1"]).values()
    assert resp.status == 200
    assert json.loads(content) == {"a": 1}


def test_a_batch_answer_missing_a_call_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError, match="lacks 1"):
        decode_batch("multipart/mixed; boundary=b", b"--b--\r\n", ["1"])


def test_a_batch_request_names_each_call_once_without_its_own_token() -> None:
    api = service(lambda request: httpx.Response(200))
    calls = {str(i): api.service.users().messages().get(userId="me", id=f"m{i}") for i in range(3)}
    content_type, body = encode_batch(calls)
    assert content_type.startswith("multipart/mixed; boundary=")
    assert body.count(b"Content-ID: <") == 3
    assert b"GET /gmail/v1/users/me/messages/m2?alt=json HTTP/1.1" in body
    assert b"authorization" not in body.lower()

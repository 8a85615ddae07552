"""Watched secrets: every place a request carries one outside its credential header is noted."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from charter.sandboxes.recording import RequestLog, secret_places

SECRET = "cnryTESTsecret"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def test_the_authorization_header_is_the_one_credential_place() -> None:
    headers = {"authorization": f"Bearer {SECRET}", "accept": "application/json"}
    assert secret_places(SECRET, "/user", "", headers, b"{}") == []


def test_a_secret_in_the_path_query_another_header_or_the_body_is_seen() -> None:
    headers = {"authorization": f"token {SECRET}", "x-debug": f"t={SECRET}", "cookie": f"s={SECRET}"}
    places = secret_places(
        SECRET, f"/u/{SECRET}", f"access_token={SECRET}", headers, f'{{"t":"{SECRET}"}}'.encode()
    )
    assert places == ["path", "query", "header x-debug", "header cookie", "body"]


def test_a_batch_parts_authorization_lines_are_credentials_but_its_bodies_are_not() -> None:
    headers = {"content-type": "multipart/mixed; boundary=b"}
    part = f"--b\r\nGET /gmail/v1/users/me/messages/1\r\nAuthorization: Bearer {SECRET}\r\n\r\n"
    assert secret_places(SECRET, "/batch", "", headers, part.encode()) == []
    leaky = part + f'{{"note": "{SECRET}"}}\r\n--b--'
    assert secret_places(SECRET, "/batch", "", headers, leaky.encode()) == ["body"]


def test_a_refresh_grant_may_carry_the_refresh_token_and_client_secret_only() -> None:
    refresh = {"grant_type": "refresh_token", "refresh_token": f"r{SECRET}", "client_secret": f"s{SECRET}"}
    assert secret_places(SECRET, "/token", "", FORM, urlencode(refresh).encode()) == []
    extra = urlencode({**refresh, "state": SECRET}).encode()
    assert secret_places(SECRET, "/token", "", FORM, extra) == ["body"]
    not_a_refresh = urlencode({"grant_type": "password", "refresh_token": SECRET}).encode()
    assert secret_places(SECRET, "/token", "", FORM, not_a_refresh) == ["body"]
    # The same grant as the JSON object a provider that documents only JSON (Notion) takes.
    json_type = {"content-type": "application/json"}
    as_json = json.dumps(refresh).encode()
    assert secret_places(SECRET, "/token", "", json_type, as_json) == []
    assert secret_places(
        SECRET, "/token", "", json_type, json.dumps({**refresh, "note": SECRET}).encode()
    ) == ["body"]
    json_password = json.dumps({"grant_type": "password", "refresh_token": SECRET}).encode()
    assert secret_places(SECRET, "/token", "", json_type, json_password) == ["body"]


def test_sightings_outlive_a_cleared_log_until_watched_afresh() -> None:
    log = RequestLog()
    log.watch(SECRET)
    log.spot(1, "POST", "/notes", "", {}, SECRET.encode())
    log.clear()
    assert [(s.seq, s.method, s.path, s.where) for s in log.sightings(SECRET)] == [
        (1, "POST", "/notes", "body")
    ]
    log.watch(SECRET)
    assert log.sightings(SECRET) == []
    assert log.sightings("never-watched") == []

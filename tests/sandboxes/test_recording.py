"""The request log keeps what tests need and never a credential."""

from __future__ import annotations

import json

from charter.sandboxes.recording import Exchange, RequestLog, redact_body, redact_headers


def _exchange(seq: int, method: str, path: str, status: int | None) -> Exchange:
    return Exchange(seq, 0.0, method, path, "", {}, b"", status, {}, b'{"ok": true}')


def test_authorization_keeps_its_scheme_but_not_its_secret() -> None:
    headers = redact_headers({"Authorization": "token ghu_secret", "Accept": "application/json"})

    assert headers == {"authorization": "token [redacted]", "accept": "application/json"}


def test_secret_fields_are_blanked_in_json_and_form_bodies() -> None:
    as_json = redact_body(b'{"access_token": "ghu_x", "scope": "repo"}', "application/json")
    as_form = redact_body(
        b"client_secret=s3&code=abc&grant_type=authorization_code", "application/x-www-form-urlencoded"
    )

    assert json.loads(as_json) == {"access_token": "[redacted]", "scope": "repo"}
    assert b"s3" not in as_form
    assert b"abc" not in as_form
    assert b"grant_type=authorization_code" in as_form


def test_bodies_without_secrets_are_kept_byte_for_byte() -> None:
    body = b'{"title": "Hello",  "body": "spaced"}'

    assert redact_body(body, "application/json") == body


def test_find_and_count_filter_by_method_glob_and_status() -> None:
    log = RequestLog()
    log.add(_exchange(1, "GET", "/repos/acme/web/issues", 200))
    log.add(_exchange(2, "POST", "/repos/acme/web/issues", 201))
    log.add(_exchange(3, "GET", "/repos/acme/api/issues", 304))

    assert log.count(path="/repos/*/issues") == 3
    assert log.count(method="get", status=304) == 1
    last = log.last(method="POST")
    assert last is not None
    assert last.json() == {"ok": True}


def test_the_log_is_bounded() -> None:
    log = RequestLog(maxlen=2)
    for seq in range(5):
        log.add(_exchange(seq, "GET", "/user", 200))

    assert [e.seq for e in log.entries] == [3, 4]

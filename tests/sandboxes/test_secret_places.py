"""Where a watched secret may appear in a request: only where credentials go."""

from __future__ import annotations

import json

from charter.sandboxes.recording import secret_places

SECRET = "canary-7f3a"
JSON = {"content-type": "application/json"}


def test_a_json_refresh_grant_carries_the_refresh_token_where_credentials_go() -> None:
    body = json.dumps({"grant_type": "refresh_token", "refresh_token": SECRET}).encode()
    assert secret_places(SECRET, "/v1/oauth/token", "", JSON, body) == []


def test_control_the_same_secret_in_any_other_json_field_is_a_sighting() -> None:
    body = json.dumps({"grant_type": "refresh_token", "refresh_token": "r", "note": SECRET}).encode()
    assert secret_places(SECRET, "/v1/oauth/token", "", JSON, body) == ["body"]
    page = json.dumps({"properties": {"title": SECRET}}).encode()
    assert secret_places(SECRET, "/v1/pages", "", JSON, page) == ["body"]

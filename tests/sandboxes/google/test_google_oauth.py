"""Google's OAuth endpoints on the sandbox, driven with httpx and google-auth's own refresh."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request

from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GoogleSandbox

REDIRECT = "http://127.0.0.1:53682/callback"
READONLY = "https://www.googleapis.com/auth/gmail.readonly"
COMPOSE = "https://www.googleapis.com/auth/gmail.compose"
EVENTS = "https://www.googleapis.com/auth/calendar.events"


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize(http: httpx.Client, sb: GoogleSandbox, scope: str, **extra: str) -> dict[str, list[str]]:
    verifier, challenge = _pkce()
    params = {
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": scope,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        **extra,
    }
    answer = http.get(sb.url + "/o/oauth2/v2/auth", params=params)
    assert answer.status_code == 302
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    back["verifier"] = [verifier]
    return back


def _exchange(http: httpx.Client, sb: GoogleSandbox, back: dict[str, list[str]]) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": back["code"][0],
        "code_verifier": back["verifier"][0],
        "redirect_uri": REDIRECT,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    return http.post(sb.url + "/token", data=form)


def _refresh(http: httpx.Client, sb: GoogleSandbox, refresh_token: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
    }
    return http.post(sb.url + "/token", data=form)


def test_consent_code_exchange_gives_google_shaped_tokens(gsb: GoogleSandbox, http: httpx.Client) -> None:
    back = _authorize(http, gsb, "gmail.readonly openid email")
    assert back["state"] == ["st-123"]
    tokens = _exchange(http, gsb, back).json()
    assert tokens["access_token"].startswith("ya29.")
    assert tokens["refresh_token"].startswith("1//")
    assert tokens["expires_in"] == 3599
    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == {
        READONLY,
        "openid",
        "https://www.googleapis.com/auth/userinfo.email",
    }
    assert "id_token" in tokens
    who = http.get(
        gsb.url + "/oauth2/v3/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert who.json()["email"] == "mona@acme.com"


def test_the_code_is_single_use_and_needs_the_pkce_verifier(gsb: GoogleSandbox, http: httpx.Client) -> None:
    back = _authorize(http, gsb, "gmail.readonly")
    wrong = {**back, "verifier": ["not-the-verifier-" + "x" * 30]}
    assert _exchange(http, gsb, wrong).json() == {
        "error": "invalid_grant",
        "error_description": "Invalid code verifier.",
    }
    assert _exchange(http, gsb, back).status_code == 200
    again = _exchange(http, gsb, back)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_authorize_without_pkce_redirects_with_invalid_request(
    gsb: GoogleSandbox, http: httpx.Client
) -> None:
    params = {"client_id": DEFAULT_CLIENT_ID, "redirect_uri": REDIRECT, "response_type": "code"}
    answer = http.get(
        gsb.url + "/o/oauth2/v2/auth", params={**params, "scope": "gmail.readonly", "state": "s"}
    )
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    assert back["error"] == ["invalid_request"]
    assert back["state"] == ["s"]


def test_unknown_scope_and_foreign_redirect_are_refused_on_the_consent_page(
    gsb: GoogleSandbox, http: httpx.Client
) -> None:
    _, challenge = _pkce()
    base = {"client_id": DEFAULT_CLIENT_ID, "response_type": "code", "code_challenge": challenge}
    bad_scope = http.get(
        gsb.url + "/o/oauth2/v2/auth", params={**base, "redirect_uri": REDIRECT, "scope": "gmail.everything"}
    )
    assert bad_scope.status_code == 400
    assert "invalid_scope" in bad_scope.text
    elsewhere = http.get(
        gsb.url + "/o/oauth2/v2/auth",
        params={**base, "redirect_uri": "https://evil.example/cb", "scope": "gmail.readonly"},
    )
    assert elsewhere.status_code == 400


def test_refresh_token_only_on_first_offline_consent_unless_prompt_consent(
    gsb: GoogleSandbox, http: httpx.Client
) -> None:
    first = _exchange(http, gsb, _authorize(http, gsb, "gmail.readonly")).json()
    second = _exchange(http, gsb, _authorize(http, gsb, "gmail.readonly")).json()
    forced = _exchange(http, gsb, _authorize(http, gsb, "gmail.readonly", prompt="consent")).json()
    assert "refresh_token" in first
    assert "refresh_token" not in second
    assert "refresh_token" in forced


def test_include_granted_scopes_returns_the_union_of_earlier_grants(
    gsb: GoogleSandbox, http: httpx.Client
) -> None:
    _exchange(http, gsb, _authorize(http, gsb, "gmail.readonly"))
    more = _authorize(http, gsb, "calendar.events", include_granted_scopes="true")
    assert set(more["scope"][0].split()) == {READONLY, EVENTS}
    assert set(_exchange(http, gsb, more).json()["scope"].split()) == {READONLY, EVENTS}


def test_the_person_can_untick_scopes_or_deny(gsb: GoogleSandbox, http: httpx.Client) -> None:
    gsb.oauth.grant_only(["gmail.readonly"])
    partial = _exchange(http, gsb, _authorize(http, gsb, "gmail.readonly gmail.compose")).json()
    assert partial["scope"] == READONLY
    gsb.oauth.deny_consent()
    assert _authorize(http, gsb, "gmail.readonly")["error"] == ["access_denied"]


def test_refresh_keeps_the_refresh_token_as_google_does(gsb: GoogleSandbox, http: httpx.Client) -> None:
    _, refresh = gsb.oauth.issue_token("mona@acme.com", ["gmail.compose"])
    one, two = _refresh(http, gsb, refresh).json(), _refresh(http, gsb, refresh).json()
    assert "refresh_token" not in one
    assert one["access_token"] != two["access_token"]
    assert one["scope"] == COMPOSE


def test_rotation_knob_makes_the_old_refresh_token_unusable(gsb: GoogleSandbox, http: httpx.Client) -> None:
    gsb.oauth.rotate_refresh_tokens = True
    _, refresh = gsb.oauth.issue_token("mona@acme.com", ["gmail.readonly"])
    rotated = _refresh(http, gsb, refresh).json()
    assert rotated["refresh_token"] != refresh
    reused = _refresh(http, gsb, refresh)
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
    assert _refresh(http, gsb, rotated["refresh_token"]).status_code == 200


def test_testing_apps_refresh_tokens_expire_after_seven_days(gsb: GoogleSandbox, http: httpx.Client) -> None:
    gsb.oauth.testing_app()
    tokens = _exchange(http, gsb, _authorize(http, gsb, "gmail.readonly")).json()
    assert tokens["refresh_token_expires_in"] == 7 * 24 * 3600
    gsb.clock.advance(6 * 24 * 3600)
    assert _refresh(http, gsb, tokens["refresh_token"]).status_code == 200
    gsb.clock.advance(24 * 3600)
    expired = _refresh(http, gsb, tokens["refresh_token"])
    assert expired.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }


def test_revoke_ends_the_whole_grant(gsb: GoogleSandbox, http: httpx.Client) -> None:
    access, refresh = gsb.oauth.issue_token("mona@acme.com", ["gmail.readonly"])
    assert http.post(gsb.url + "/revoke", params={"token": refresh}).status_code == 200
    assert gsb.tokens.lookup(access) is None
    assert _refresh(http, gsb, refresh).json()["error"] == "invalid_grant"
    again = http.post(gsb.url + "/revoke", params={"token": refresh})
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_token"


def test_bad_client_secret_is_invalid_client(gsb: GoogleSandbox, http: httpx.Client) -> None:
    _, refresh = gsb.oauth.issue_token("mona@acme.com", ["gmail.readonly"])
    form = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": DEFAULT_CLIENT_ID}
    answer = http.post(gsb.url + "/token", data={**form, "client_secret": "wrong"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_google_auth_refreshes_an_expired_token_and_retries(gsb: GoogleSandbox, gmail: Any) -> None:
    gsb.faults.expire_access_tokens()
    profile = gmail.users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == "mona@acme.com"
    assert gsb.tokens.refreshes == 1
    assert gsb.requests.count("GET", "/gmail/v1/users/me/profile", status=401) == 1


def test_google_auth_reports_an_expired_refresh_token(gsb: GoogleSandbox) -> None:
    from google.oauth2.credentials import Credentials

    _, refresh = gsb.oauth.issue_token("mona@acme.com", ["gmail.readonly"])
    gsb.oauth.expire_refresh_tokens()
    creds = Credentials(
        token=None,
        refresh_token=refresh,
        token_uri=gsb.url + "/token",
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
    )
    with pytest.raises(RefreshError, match="invalid_grant"):
        creds.refresh(Request())


def test_tokens_never_reach_the_request_log(gsb: GoogleSandbox, http: httpx.Client) -> None:
    tokens = _exchange(http, gsb, _authorize(http, gsb, "gmail.readonly")).json()
    _refresh(http, gsb, tokens["refresh_token"])
    logged = repr([e.to_dict() for e in gsb.requests.entries])
    assert tokens["access_token"] not in logged
    assert tokens["refresh_token"] not in logged

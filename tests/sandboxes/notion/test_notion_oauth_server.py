"""The Notion sandbox's OAuth server: owner=user, HTTP Basic only, rotating refresh, revoke, introspect."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from charter.sandboxes.notion import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, NotionSandbox, seed_id

REDIRECT = "http://127.0.0.1:9/callback"
BASIC = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)


def authorize(sb: NotionSandbox, **extra: str) -> httpx.Response:
    params = {
        "client_id": DEFAULT_CLIENT_ID,
        "response_type": "code",
        "owner": "user",
        "redirect_uri": REDIRECT,
    }
    params.update(extra)
    return httpx.get(f"{sb.url}/v1/oauth/authorize", params=params)


def code_of(answer: httpx.Response) -> str:
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]


def exchange(sb: NotionSandbox, code: str, auth: tuple[str, str] | None = BASIC) -> httpx.Response:
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    return httpx.post(f"{sb.url}/v1/oauth/token", json=body, auth=auth)


def test_authorize_needs_owner_user(nsb: NotionSandbox) -> None:
    assert authorize(nsb, owner="workspace").status_code == 400
    assert "state=s1" in authorize(nsb, state="s1").headers["location"]


def test_code_exchange_needs_http_basic(nsb: NotionSandbox) -> None:
    code = code_of(authorize(nsb))
    as_form = httpx.post(
        f"{nsb.url}/v1/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
        },
    )
    assert as_form.status_code == 401
    assert as_form.json()["error"] == "invalid_client"
    assert exchange(nsb, code, (DEFAULT_CLIENT_ID, "wrong")).status_code == 401
    answer = exchange(nsb, code)
    body = answer.json()
    assert answer.status_code == 200
    assert body["access_token"].startswith("ntn_")
    assert body["refresh_token"]
    assert body["owner"]["user"]["person"]["email"] == "mona@acme.com"
    assert body["bot_id"]
    assert exchange(nsb, code).json()["error"] == "invalid_grant"


def test_consent_shares_the_pages_the_person_picks(nsb: NotionSandbox) -> None:
    nsb.state.shared.clear()
    nsb.oauth.share_on_consent({seed_id("meeting-notes")})
    exchange(nsb, code_of(authorize(nsb)))
    assert nsb.state.shared == {seed_id("meeting-notes")}


def test_refresh_rotates_and_the_old_refresh_token_dies(nsb: NotionSandbox) -> None:
    first = exchange(nsb, code_of(authorize(nsb))).json()
    form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = httpx.post(f"{nsb.url}/v1/oauth/token", json=form, auth=BASIC).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    again = httpx.post(f"{nsb.url}/v1/oauth/token", json=form, auth=BASIC)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert nsb.tokens.refresh_reuses == 1


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoke_ends_the_token_and_introspect_says_so(nsb: NotionSandbox, which: str) -> None:
    issued = exchange(nsb, code_of(authorize(nsb))).json()
    introspect = f"{nsb.url}/v1/oauth/introspect"
    assert httpx.post(introspect, json={"token": issued["access_token"]}, auth=BASIC).json()["active"] is True
    assert (
        httpx.post(f"{nsb.url}/v1/oauth/revoke", json={"token": issued[which]}, auth=BASIC).status_code == 200
    )
    assert (
        httpx.post(introspect, json={"token": issued["access_token"]}, auth=BASIC).json()["active"] is False
    )
    assert httpx.post(f"{nsb.url}/v1/oauth/revoke", json={"token": "nope"}, auth=None).status_code == 401

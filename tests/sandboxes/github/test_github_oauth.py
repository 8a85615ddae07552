"""The sandbox's OAuth server: code + PKCE, refresh rotation, device flow, consent knobs, revocation."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox

REDIRECT = "http://127.0.0.1:8765/callback"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
JSON = {"Accept": "application/json"}


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize(http: httpx.Client, sb: GitHubSandbox, challenge: str | None, **extra: str) -> dict[str, str]:
    params = {
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "repo read:user",
        "state": "s1",
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    answer = http.get(f"{sb.url}/login/oauth/authorize", params={**params, **extra})
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _token(
    http: httpx.Client, sb: GitHubSandbox, headers: dict[str, str] | None = None, **form: str
) -> httpx.Response:
    body = {"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET, **form}
    return http.post(
        f"{sb.url}/login/oauth/access_token", data=body, headers=JSON if headers is None else headers
    )


def _code_flow(http: httpx.Client, sb: GitHubSandbox) -> dict[str, object]:
    verifier, challenge = _pkce()
    code = _authorize(http, sb, challenge)["code"]
    answer = _token(
        http, sb, grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=verifier
    )
    body: dict[str, object] = answer.json()
    return body


def test_code_flow_with_pkce_issues_expiring_github_style_tokens(
    sb: GitHubSandbox, http: httpx.Client
) -> None:
    body = _code_flow(http, sb)

    assert str(body["access_token"]).startswith("ghu_")
    assert str(body["refresh_token"]).startswith("ghr_")
    assert body["token_type"] == "bearer"
    assert body["scope"] == "read:user,repo"
    assert body["expires_in"] == 28800
    assert isinstance(body["refresh_token_expires_in"], int)
    me = http.get(f"{sb.url}/user", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["login"] == "mona"


def test_the_state_parameter_comes_back_unchanged(sb: GitHubSandbox, http: httpx.Client) -> None:
    _, challenge = _pkce()

    assert _authorize(http, sb, challenge, state="xyz 42")["state"] == "xyz 42"


def test_without_accept_json_the_token_answer_is_form_encoded(sb: GitHubSandbox, http: httpx.Client) -> None:
    verifier, challenge = _pkce()
    code = _authorize(http, sb, challenge)["code"]

    answer = _token(http, sb, headers={}, grant_type="authorization_code", code=code, code_verifier=verifier)

    assert answer.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(answer.text)["access_token"][0].startswith("ghu_")


def test_a_wrong_code_verifier_is_refused_with_http_200_and_an_error(
    sb: GitHubSandbox, http: httpx.Client
) -> None:
    _, challenge = _pkce()
    code = _authorize(http, sb, challenge)["code"]

    answer = _token(http, sb, grant_type="authorization_code", code=code, code_verifier="not-the-verifier")

    assert answer.status_code == 200
    assert answer.json()["error"] == "bad_verification_code"
    assert {"error_description", "error_uri"} <= answer.json().keys()


def test_a_code_works_once(sb: GitHubSandbox, http: httpx.Client) -> None:
    verifier, challenge = _pkce()
    code = _authorize(http, sb, challenge)["code"]
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}

    assert "access_token" in _token(http, sb, **form).json()
    assert _token(http, sb, **form).json()["error"] == "bad_verification_code"


def test_authorize_requires_pkce_s256(sb: GitHubSandbox, http: httpx.Client) -> None:
    missing = _authorize(http, sb, None)
    plain = _authorize(http, sb, None, code_challenge="abc", code_challenge_method="plain")

    assert missing["error"] == plain["error"] == "invalid_request"
    assert "code" not in missing


@pytest.mark.parametrize(
    "redirect",
    ["https://evil.example/cb", "http://localhost:8765/cb", "http://127.0.0.1/cb", "http://10.0.0.1:80/"],
)
def test_only_loopback_ip_redirects_with_a_port_are_accepted(
    sb: GitHubSandbox, http: httpx.Client, redirect: str
) -> None:
    _, challenge = _pkce()
    params = {"client_id": DEFAULT_CLIENT_ID, "redirect_uri": redirect, "code_challenge": challenge}

    answer = http.get(f"{sb.url}/login/oauth/authorize", params={**params, "code_challenge_method": "S256"})

    assert answer.status_code == 400


def test_a_registered_redirect_uri_is_accepted(sb: GitHubSandbox, http: httpx.Client) -> None:
    sb.oauth.register_client("Iv1.web", "web-secret", redirect_uris=["https://app.example/cb"])
    _, challenge = _pkce()
    params = {"client_id": "Iv1.web", "redirect_uri": "https://app.example/cb", "code_challenge": challenge}

    answer = http.get(f"{sb.url}/login/oauth/authorize", params={**params, "code_challenge_method": "S256"})

    assert answer.headers["location"].startswith("https://app.example/cb?code=")


def test_the_person_may_grant_fewer_scopes_than_asked(sb: GitHubSandbox, http: httpx.Client) -> None:
    sb.oauth.grant_only({"read:user"})

    body = _code_flow(http, sb)

    assert body["scope"] == "read:user"
    answer = http.get(f"{sb.url}/user", headers={"Authorization": f"token {body['access_token']}"})
    assert answer.headers["x-oauth-scopes"] == "read:user"


def test_denied_consent_redirects_with_access_denied(sb: GitHubSandbox, http: httpx.Client) -> None:
    sb.oauth.deny_consent()
    _, challenge = _pkce()

    params = _authorize(http, sb, challenge)

    assert params["error"] == "access_denied"
    assert params["state"] == "s1"


def test_consent_can_be_set_over_http(sb: GitHubSandbox, http: httpx.Client) -> None:
    http.post(f"{sb.url}/_sandbox/oauth/consent", json={"grant_only": ["repo"], "login": "hubot"})

    body = _code_flow(http, sb)

    assert body["scope"] == "repo"
    me = http.get(f"{sb.url}/user", headers={"Authorization": f"token {body['access_token']}"})
    assert me.json()["login"] == "hubot"


def test_refresh_rotates_and_a_reused_refresh_token_is_refused(sb: GitHubSandbox, http: httpx.Client) -> None:
    first = _code_flow(http, sb)

    second = _token(http, sb, grant_type="refresh_token", refresh_token=str(first["refresh_token"])).json()
    reuse = _token(http, sb, grant_type="refresh_token", refresh_token=str(first["refresh_token"])).json()

    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["scope"] == first["scope"]
    assert reuse["error"] == "bad_refresh_token"
    assert (sb.tokens.refreshes, sb.tokens.refresh_reuses) == (1, 1)
    third = _token(http, sb, grant_type="refresh_token", refresh_token=second["refresh_token"]).json()
    assert "access_token" in third


def test_refresh_needs_the_client_secret(sb: GitHubSandbox, http: httpx.Client) -> None:
    issued = sb.oauth.issue_token()

    answer = _token(
        http, sb, grant_type="refresh_token", refresh_token=issued.refresh_token or "", client_secret="no"
    )

    assert answer.json()["error"] == "incorrect_client_credentials"


def test_client_credentials_may_come_by_http_basic(sb: GitHubSandbox, http: httpx.Client) -> None:
    issued = sb.oauth.issue_token()

    answer = http.post(
        f"{sb.url}/login/oauth/access_token",
        data={"grant_type": "refresh_token", "refresh_token": issued.refresh_token or ""},
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        headers=JSON,
    )

    assert "access_token" in answer.json()


def test_an_expired_access_token_is_refused_until_refreshed(sb: GitHubSandbox, http: httpx.Client) -> None:
    issued = sb.oauth.issue_token(expires_in=60)
    sb.clock.advance(61)

    stale = http.get(f"{sb.url}/user", headers={"Authorization": f"token {issued.access_token}"})
    fresh = _token(http, sb, grant_type="refresh_token", refresh_token=issued.refresh_token or "").json()

    assert stale.status_code == 401
    me = http.get(f"{sb.url}/user", headers={"Authorization": f"token {fresh['access_token']}"})
    assert me.status_code == 200


def test_unsupported_grant_types_are_named(sb: GitHubSandbox, http: httpx.Client) -> None:
    assert _token(http, sb, grant_type="password").json()["error"] == "unsupported_grant_type"


def _device_start(http: httpx.Client, sb: GitHubSandbox) -> dict[str, object]:
    answer = http.post(
        f"{sb.url}/login/device/code", data={"client_id": DEFAULT_CLIENT_ID, "scope": "repo"}, headers=JSON
    )
    body: dict[str, object] = answer.json()
    return body


def _poll(http: httpx.Client, sb: GitHubSandbox, device_code: object) -> dict[str, object]:
    form = {"client_id": DEFAULT_CLIENT_ID, "grant_type": DEVICE_GRANT, "device_code": str(device_code)}
    body: dict[str, object] = http.post(f"{sb.url}/login/oauth/access_token", data=form, headers=JSON).json()
    return body


def test_device_flow_pending_then_approved(sb: GitHubSandbox, http: httpx.Client) -> None:
    start = _device_start(http, sb)
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", str(start["user_code"]))
    assert start["verification_uri"] == f"{sb.url}/login/device"
    assert (start["expires_in"], start["interval"]) == (900, 5)

    assert _poll(http, sb, start["device_code"])["error"] == "authorization_pending"
    sb.oauth.approve_device(str(start["user_code"]))
    sb.clock.advance(5)
    token = _poll(http, sb, start["device_code"])

    assert str(token["access_token"]).startswith("ghu_")
    assert token["scope"] == "repo"
    assert _poll(http, sb, start["device_code"])["error"] == "bad_verification_code"


def test_polling_faster_than_the_interval_earns_slow_down(sb: GitHubSandbox, http: httpx.Client) -> None:
    start = _device_start(http, sb)

    _poll(http, sb, start["device_code"])
    hurried = _poll(http, sb, start["device_code"])

    assert hurried["error"] == "slow_down"
    assert hurried["interval"] == 10
    sb.clock.advance(10)
    assert _poll(http, sb, start["device_code"])["error"] == "authorization_pending"


def test_device_timing_is_configurable_for_fast_tests(sb: GitHubSandbox, http: httpx.Client) -> None:
    sb.oauth.device_interval = 0.01
    sb.oauth.slow_down_step = 0.01

    start = _device_start(http, sb)

    assert start["interval"] == 0.01


def test_a_denied_device_code_answers_access_denied(sb: GitHubSandbox, http: httpx.Client) -> None:
    start = _device_start(http, sb)

    sb.oauth.deny_device(str(start["user_code"]))

    assert _poll(http, sb, start["device_code"])["error"] == "access_denied"


def test_an_expired_device_code_answers_expired_token(sb: GitHubSandbox, http: httpx.Client) -> None:
    start = _device_start(http, sb)

    sb.clock.advance(901)

    assert _poll(http, sb, start["device_code"])["error"] == "expired_token"


def test_the_person_can_approve_a_device_over_http(sb: GitHubSandbox, http: httpx.Client) -> None:
    start = _device_start(http, sb)
    pending = http.get(f"{sb.url}/_sandbox/oauth/device").json()["pending"]
    assert pending == [start["user_code"]]

    page = http.post(f"{sb.url}/login/device", data={"user_code": str(start["user_code"])})

    assert page.status_code == 200
    assert "access_token" in _poll(http, sb, start["device_code"])


def test_an_unknown_device_code_is_refused(sb: GitHubSandbox, http: httpx.Client) -> None:
    assert _poll(http, sb, "nope")["error"] == "incorrect_device_code"


def test_revoking_a_token_ends_it_and_its_refresh_token(sb: GitHubSandbox, http: httpx.Client) -> None:
    issued = sb.oauth.issue_token()

    answer = http.request(
        "DELETE",
        f"{sb.url}/applications/{DEFAULT_CLIENT_ID}/token",
        auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
        json={"access_token": issued.access_token},
    )

    assert answer.status_code == 204
    assert (
        http.get(f"{sb.url}/user", headers={"Authorization": f"token {issued.access_token}"}).status_code
        == 401
    )
    refresh = _token(http, sb, grant_type="refresh_token", refresh_token=issued.refresh_token or "")
    assert refresh.json()["error"] == "bad_refresh_token"


def test_revocation_needs_the_apps_own_credentials(sb: GitHubSandbox, http: httpx.Client) -> None:
    issued = sb.oauth.issue_token()
    url = f"{sb.url}/applications/{DEFAULT_CLIENT_ID}/token"

    wrong = http.request(
        "DELETE", url, auth=(DEFAULT_CLIENT_ID, "nope"), json={"access_token": issued.access_token}
    )
    anonymous = http.request("DELETE", url, json={"access_token": issued.access_token})

    assert wrong.status_code == 404
    assert anonymous.status_code == 401
    assert sb.tokens.lookup(issued.access_token) is not None


def test_tokens_never_reach_the_request_log(sb: GitHubSandbox, http: httpx.Client) -> None:
    body = _code_flow(http, sb)
    http.get(f"{sb.url}/user", headers={"Authorization": f"token {body['access_token']}"})
    refreshed = _token(http, sb, grant_type="refresh_token", refresh_token=str(body["refresh_token"])).json()

    recorded = repr([e.to_dict() for e in sb.requests.entries])

    for secret in (
        body["access_token"],
        body["refresh_token"],
        refreshed["access_token"],
        DEFAULT_CLIENT_SECRET,
    ):
        assert str(secret) not in recorded
    assert "token [redacted]" in recorded

"""The Google sandbox by name, its seed, and its `/_sandbox/` knobs over HTTP."""

from __future__ import annotations

import httpx

from charter.sandboxes import create_sandbox, sandbox_names
from charter.sandboxes.google import GoogleSandbox, GoogleSeed


def test_google_is_in_the_catalog() -> None:
    assert "google" in sandbox_names()
    assert isinstance(create_sandbox("google"), GoogleSandbox)


def test_the_seed_matches_what_connectors_expect(gsb: GoogleSandbox) -> None:
    box = gsb.state.gmail
    assert 55 <= len(box.messages) <= 70
    assert 35 <= len({m.thread_id for m in box.messages.values()}) <= 45
    senders = {m.parsed.addresses("From")[0].rpartition("@")[2] for m in box.messages.values()}
    assert {"acme.com", "partner.example", "gmail.com"} <= senders
    assert sum("UNREAD" in m.label_ids for m in box.messages.values()) >= 5
    events = gsb.state.calendar.events("primary")
    team = gsb.state.calendar.events("c_7f3a9e2b41d8acme.team@group.calendar.google.com")
    assert 35 <= len(events) + len(team) <= 60


def test_a_bulk_seed_survives_resets() -> None:
    sandbox = GoogleSandbox(seed=GoogleSeed(messages=30, events=20))
    base = GoogleSandbox()
    assert len(sandbox.state.gmail.messages) == len(base.state.gmail.messages) + 30
    sandbox.state.gmail.messages.clear()
    sandbox.reset()
    assert len(sandbox.state.gmail.messages) == len(base.state.gmail.messages) + 30
    assert len(sandbox.state.calendar.events("primary")) == len(base.state.calendar.events("primary")) + 20


def test_reset_forgets_changes_and_copies_nothing_shared(gsb: GoogleSandbox) -> None:
    first = next(iter(gsb.state.gmail.messages.values()))
    first.label_ids.append("STARRED")
    gsb.state.calendar.primary.events.clear()
    gsb.reset()
    assert "STARRED" not in gsb.state.gmail.messages[first.id].label_ids
    assert gsb.state.calendar.events("primary")


def test_control_routes_issue_tokens_and_set_quota(gsb: GoogleSandbox, http: httpx.Client) -> None:
    issued = http.post(gsb.url + "/_sandbox/oauth/tokens", json={"scopes": ["gmail.readonly"]}).json()
    assert issued["access_token"].startswith("ya29.")
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    assert http.get(gsb.url + "/gmail/v1/users/me/profile", headers=headers).status_code == 200
    http.post(gsb.url + "/_sandbox/quota", json={"style": "403 rateLimitExceeded", "exhaust": "gmail"})
    limited = http.get(gsb.url + "/gmail/v1/users/me/profile", headers=headers)
    assert limited.status_code == 403
    assert limited.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    http.post(gsb.url + "/_sandbox/oauth/consent", json={"deny": True})
    assert gsb.oauth.consent.deny
    state = http.get(gsb.url + "/_sandbox/state").json()
    assert state["gmail"]["email"] == "mona@acme.com"
    assert http.post(gsb.url + "/_sandbox/gmail/truncate-history").json()["oldestHistoryId"]
    assert http.post(gsb.url + "/_sandbox/calendar/expire-sync-tokens").json() == {"ok": True}

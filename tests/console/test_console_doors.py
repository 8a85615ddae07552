"""The console's doors, tried as an attacker would: the link, the cookie, CSRF, Host, Origin, escaping."""

from __future__ import annotations

import re

import httpx
import pytest
from consoles import Console

from charter.cli.console.session import CONTENT_SECURITY_POLICY
from charter.schemas import ApprovalStatus


def opened(console: Console) -> tuple[httpx.Client, str]:
    """A client holding the session cookie (the link exchanged), and the page's CSRF token."""
    client = httpx.Client(base_url=console.origin, follow_redirects=False)
    exchanged = client.get(console.link)
    assert exchanged.status_code == 303, exchanged.text
    page = client.get("/approvals")
    found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert found is not None
    return client, found.group(1)


def test_the_link_opens_once_and_sets_a_strict_httponly_cookie(console: Console) -> None:
    client = httpx.Client(base_url=console.origin)
    first = client.get(console.link, follow_redirects=False)
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    again = httpx.get(console.link)  # the same link, seen later (history, a screenshot)
    assert again.status_code == 403
    assert "already used" in again.text
    assert client.get("/approvals").status_code == 200  # the control: the first opener is in


@pytest.mark.parametrize(
    "secret", ["", "x", "A" * 43, "../approvals", "%00"], ids=["empty", "short", "wrong", "path", "nul"]
)
def test_a_wrong_launch_secret_opens_nothing_and_does_not_spend_the_link(
    console: Console, secret: str
) -> None:
    refused = httpx.get(f"{console.origin}/launch", params={"s": secret})
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    assert httpx.get(console.link, follow_redirects=False).status_code == 303


PAGES = ["/approvals", "/grants", "/connections", "/audit", "/audit/export", "/events", "/passkeys"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_the_session(console: Console, path: str) -> None:
    assert httpx.get(console.origin + path).status_code == 403
    forged = httpx.get(console.origin + path, cookies={"charter_console": "guessed"})
    assert forged.status_code == 403


@pytest.mark.parametrize(
    "host",
    ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "localhost", "localhost:1", "[::1]"],
)
def test_a_rebound_host_name_is_refused_even_with_the_link(console: Console, host: str) -> None:
    refused = httpx.get(console.link, headers={"host": host}, follow_redirects=False)
    assert refused.status_code == 421
    assert httpx.get(console.link, follow_redirects=False).status_code == 303


def test_a_state_change_needs_the_origin_and_the_csrf_token(console: Console) -> None:
    approval_id = console.pause()
    client, csrf = opened(console)
    url = f"/approvals/{approval_id}/deny"
    # One character changed, never to itself (a token ending in "A" once made this the real one).
    wrong = ("B" if csrf[0] == "A" else "A") + csrf[1:]
    attempts = {
        "no origin": ({"csrf": csrf}, {}),
        "other origin": ({"csrf": csrf}, {"origin": "http://evil.example"}),
        "other port": ({"csrf": csrf}, {"origin": "http://localhost:1"}),
        "null origin": ({"csrf": csrf}, {"origin": "null"}),
        "no token": ({}, {"origin": console.origin}),
        "wrong token": ({"csrf": wrong}, {"origin": console.origin}),
    }
    for name, (form, headers) in attempts.items():
        assert client.post(url, data=form, headers=headers).status_code == 403, name
    assert console.here.approvals.get(approval_id).status is ApprovalStatus.PENDING
    without_cookie = httpx.post(console.origin + url, data={"csrf": csrf}, headers={"origin": console.origin})
    assert without_cookie.status_code == 403
    # The control: the same request with both is the person denying.
    done = client.post(url, data={"csrf": csrf, "reason": "no"}, headers={"origin": console.origin})
    assert done.status_code == 303
    assert console.here.approvals.get(approval_id).status is ApprovalStatus.DENIED


def test_every_response_carries_the_strict_policy(console: Console) -> None:
    client, _ = opened(console)
    for response in (client.get("/approvals"), client.get("/static/console.js"), httpx.get(console.origin)):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert response.headers["x-frame-options"] == "DENY"
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    page = client.get("/approvals").text
    assert "<script>" not in page  # scripts only as files
    assert not re.search(r"\son\w+=", page)  # no inline event handlers
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # no third-party assets


def test_the_preview_is_shown_whole_and_escaped(console: Console) -> None:
    body = "<img src=x onerror=alert(1)> & </pre><script>steal()</script>\n" + "line\n" * 300 + "THE END"
    approval_id = console.pause(body)
    client, _ = opened(console)
    page = client.get("/approvals").text
    assert approval_id in page
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;/pre&gt;&lt;script&gt;steal()&lt;/script&gt;" in page
    assert "<script>steal()" not in page
    assert "THE END" in page  # never cut


def test_the_event_stream_names_pending_approvals(console: Console) -> None:
    approval_id = console.pause()
    client, _ = opened(console)
    with client.stream("GET", "/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                assert approval_id in line
                break

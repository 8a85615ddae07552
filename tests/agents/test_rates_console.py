"""A bulk pause seen and decided in the console: one decision through its real routes covers the batch."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
from test_rates import _label

from charter.auth.policy import Policy
from charter.cli.console.server import ConsoleServer
from charter.cli.context import Local


def _opened(server: ConsoleServer, link: str) -> tuple[httpx.Client, str]:
    """A client holding the session cookie (the one-time link exchanged) and the page's CSRF token."""
    client = httpx.Client(base_url=server.origin, follow_redirects=False)
    assert client.get(link).status_code == 303
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/approvals").text)
    assert found is not None
    return client, found.group(1)


def test_the_console_shows_a_bulk_pause_as_a_batch_and_one_approval_there_covers_it(env: Any) -> None:
    env.clock.now = datetime.now(UTC)  # the console decides on the wall clock
    env.policy = Policy.from_dict({"bulk": {"writes": 2, "batch": 3}})
    kit = env.toolkit(env.grant().token)
    assert [_label(kit, n).status for n in range(3)] == ["ok", "ok", "approval_required"]
    plain = env.approvals.create(  # a pause that is not a bulk one: the control for the card
        grant_id=env.grant().id,
        agent="triage-bot",
        subject="mona",
        tool="notes_add_note",
        args={"repo": "acme/web", "text": "x"},
        preview="Add a note",
        reasons=["notes_add_note is tagged external"],
    )
    paused = next(r for r in env.approvals.list() if r.tool == "notes_label_note")
    here = Local(env.home.path)
    here.home = env.home  # the same database as the agent's (Postgres too)
    server = ConsoleServer(here, poll_seconds=0.05)
    link = server.start()
    try:
        client, csrf = _opened(server, link)
        page = client.get("/approvals").text
        card = page.split(f'id="{paused.id}"')[1].split("</article>")[0]
        assert "One decision for a batch" in card
        assert '<strong class="further">2</strong>' in card
        assert "What the run did so far:" in card
        assert "l0" in card
        assert "l1" in card
        assert "Approve batch of 3" in card
        other = page.split(f'id="{plain.id}"')[1].split("</article>")[0]
        assert "batch" not in other.lower()

        refused = client.post(f"/approvals/{paused.id}/approve", data={"csrf": csrf})  # no Origin
        assert refused.status_code == 403
        approved = client.post(
            f"/approvals/{paused.id}/approve", data={"csrf": csrf}, headers={"origin": server.origin}
        )
        assert approved.status_code == 303
        assert "done=approved-batch" in approved.headers["location"]
    finally:
        server.stop()
    assert kit.resume(paused.id).ok
    # The batch of 3: the resumed call and the next two run unasked; the one after pauses again.
    assert [_label(kit, n).status for n in (3, 4, 5)] == ["ok", "ok", "approval_required"]
    assert len(env.service.writes) == 5

"""The Gmail and Calendar scene of `charter demo`, checked through the Google sandbox it ran against."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from charter.auth.providers.google import CALENDAR, GMAIL_COMPOSE, GMAIL_MODIFY, MAIL_FULL
from charter.cli.context import Local
from charter.cli.demo_agent import reply_all
from charter.cli.demo_google import google_scene
from charter.cli.narration import Narrator, item_line
from charter.sandboxes.google import GoogleSandbox
from charter.schemas import ApprovalStatus


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Local, GoogleSandbox]]:
    """The scene played once against a sandbox the tests can inspect afterwards."""
    here = Local(Path(tmp_path_factory.mktemp("demo-google")) / "home")
    with GoogleSandbox() as sandbox:
        google_scene(here, Narrator(0), sandbox=sandbox)
        yield here, sandbox


def thread_of(sandbox: GoogleSandbox, subject: str) -> str:
    return next(m.thread_id for m in sandbox.state.gmail.messages.values() if m.header("Subject") == subject)


def test_the_partner_reply_is_sent_once_in_its_thread_naming_the_agent_and_grant(
    scene: tuple[Local, GoogleSandbox],
) -> None:
    here, sandbox = scene
    [grant] = here.grants.list()
    [sent] = [s for s in sandbox.state.gmail.sent if "legal@partner.example" in s.recipients]
    assert sent.to == ("legal@partner.example",)
    assert sent.cc == ("dana@partner.example",)
    assert sent.header("X-Charter-Agent") == f"inbox-bot; grant={grant.id}"
    assert sent.thread_id == thread_of(sandbox, "Contract renewal: partner agreement")
    assert sent.header("In-Reply-To")
    assert "Attached is the renewal draft of our partner agreement." in sent.raw.decode()
    [approval] = here.approvals.list(None)
    assert approval.status is ApprovalStatus.APPROVED
    assert any("outside the account's own domain" in r for r in approval.reasons)
    assert any("quotes text read from gmail message" in r for r in approval.reasons)


def test_the_reply_inside_the_domain_goes_out_at_once_keeping_the_cc(
    scene: tuple[Local, GoogleSandbox],
) -> None:
    _, sandbox = scene
    inside = [s for s in sandbox.state.gmail.sent if "legal@partner.example" not in s.recipients]
    assert [(s.to, s.cc) for s in inside] == [(("priya@acme.com",), ("lee@acme.com", "sam@acme.com"))]
    assert inside[0].thread_id == thread_of(sandbox, "Q3 planning offsite")
    assert len(sandbox.state.gmail.sent) == 2


def test_the_meeting_proposal_stays_off_the_calendar(scene: tuple[Local, GoogleSandbox]) -> None:
    _, sandbox = scene
    titles = [e.get("summary") for e in sandbox.state.calendar.events("primary")]
    assert "Offsite prep" not in titles
    assert sandbox.state.calendar.notifications == []


def test_google_grants_only_the_scopes_of_the_enabled_actions(scene: tuple[Local, GoogleSandbox]) -> None:
    here, _ = scene
    held = {scope for c in here.vault.connections() for scope in c.scopes}
    assert GMAIL_COMPOSE in held
    assert not held & {MAIL_FULL, GMAIL_MODIFY, CALENDAR}
    assert sorted(c.service for c in here.vault.connections()) == ["calendar", "gmail"]


def test_the_scene_leaves_an_intact_chain_of_every_call(scene: tuple[Local, GoogleSandbox]) -> None:
    here, _ = scene
    assert here.audit.verify().ok
    outcomes = [(e.action, e.outcome) for e in here.audit.entries() if e.action == "gmail_commit_draft"]
    assert outcomes == [("gmail_commit_draft", o) for o in ("ok", "paused", "ok", "ok")]


def test_reply_all_answers_the_sender_and_copies_everyone_else_but_mona() -> None:
    message = {
        "id": "18c2f0a1b2c3d4e5",
        "sender": "<ud>Priya Raman <priya@acme.com></ud>",
        "to": ["lee@acme.com", "mona@acme.com"],
        "cc": ["sam@acme.com"],
    }
    assert reply_all(message, "Thanks") == {
        "message_id": "18c2f0a1b2c3d4e5",
        "to": ["priya@acme.com"],
        "cc": ["lee@acme.com", "sam@acme.com"],
        "body": "Thanks",
    }


def test_item_lines_show_mail_and_events_without_their_envelope() -> None:
    wrap = '<ud source="gmail" author="x">{}</ud>'
    mail = {
        "sender": wrap.format("Jo Smith <jo@example.com>"),
        "subject": wrap.format("Dinner?"),
        "snippet": "Free?",
    }
    assert item_line(mail, {}) == "Jo Smith: Dinner? — Free?"
    event = {
        "title": "Dentist",
        "start": {"date_time": "2025-03-14T07:30:00Z"},
        "end": {"date_time": "2025-03-14T08:30:00Z"},
        "location": wrap.format("Smile Clinic"),
    }
    assert item_line(event, {}) == "07:30-08:30 Dentist (Smile Clinic)"

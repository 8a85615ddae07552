"""Scene 2 of `charter demo`: an assistant works through Mona's Gmail and Calendar, a person in the loop."""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from rich.padding import Padding
from rich.syntax import Syntax

from charter.agents import ToolResult
from charter.auth.connect_google import connect_google
from charter.auth.grants import IssuedGrant
from charter.auth.policy import Policy
from charter.auth.providers.google import AUTH, CALENDAR, GMAIL_MODIFY, MAIL_FULL
from charter.auth.vault import Connection
from charter.cli import demo_agent
from charter.cli.connect_google import scopes_for
from charter.cli.context import Local
from charter.cli.demo_github import follow_consent, last_seq, scene_audit, show_agent
from charter.cli.grants import create_grant, describe
from charter.cli.narration import DemoFailed, NarratedToolkit, Narrator, indent, person_decides
from charter.cli.output import console, plain
from charter.schemas import missing_extra

if TYPE_CHECKING:
    from charter.sandboxes.google import GoogleSandbox
    from charter.sandboxes.google.gmail.state import SentMail

AGENT = "inbox-bot"
OWN_DOMAIN = "acme.com"
PARTNER = "legal@partner.example"
AGENT_HEADER = "X-Charter-Agent"
# The actions Mona enables per service; Google is asked for their scopes and nothing else.
ENABLED = {
    "gmail": ["search_messages", "get_thread", "draft_reply", "send_draft"],
    "calendar": ["list_events", "draft_event", "create_event"],
}
NEVER_ASKED = (MAIL_FULL, GMAIL_MODIFY, CALENDAR)
POLICY = """\
rules:
  - outcome: allow
    actions: ["gmail_send_draft"]
    reason: Mona lets her mail go out without asking
"""


def google_scene(here: Local, narrator: Narrator, sandbox: GoogleSandbox | None = None) -> None:
    """Consent per action, grant and policy, the agent's round, one approval, one sent mail, the audit.

    Without `sandbox`, a Google sandbox runs in this process for the scene's length.
    """
    running = contextlib.nullcontext(sandbox) if sandbox is not None else _sandbox_class()()
    narrator.act(
        2,
        "Gmail and Calendar",
        f"{AGENT} works through Mona's unread mail and tomorrow's meetings; "
        "mail leaving acme.com waits for her",
    )
    first_entry = last_seq(here)
    with running as sandbox:
        indent(
            f"Google sandbox: {sandbox.url} (Gmail, Calendar and Google's OAuth server, in this process)", 2
        )
        connections = scene_connect(here, narrator, sandbox)
        grant = scene_grant(here, narrator, connections)
        kit = NarratedToolkit(grant.token, home=here.home, vault=here.vault, policy=mona_policy(here))
        kit.narrator = narrator
        paused = scene_agent(here, narrator, kit, sandbox)
        scene_approve(here, narrator, kit, sandbox, grant, paused)
    scene_audit(here, narrator, "2.5", first_entry)


def mona_policy(here: Local) -> Policy:
    """The home's policy (the shipped default unless the person wrote one) with Mona's rule added."""
    base = Policy.for_home(here.home)
    return dataclasses.replace(base, rules=(*base.rules, *Policy.from_yaml(POLICY).rules))


def _sandbox_class() -> type[GoogleSandbox]:
    try:
        from charter.sandboxes.google import GoogleSandbox
    except ImportError as exc:
        missing = missing_extra(exc, hint="or watch only GitHub with `charter demo --scene github`")
        raise (missing or exc) from None
    return GoogleSandbox


def short(scope: str) -> str:
    """`gmail.compose` for Google's long scope URLs."""
    return scope.removeprefix(AUTH)


def scene_connect(here: Local, narrator: Narrator, sandbox: GoogleSandbox) -> list[Connection]:
    narrator.scene("2.1", "Mona connects Gmail and Calendar, for the actions she enables")
    narrator.say("Google is asked only for the scopes of those actions, through the same loopback consent.")
    held: set[str] = set()
    connections: list[Connection] = []
    for service, actions in ENABLED.items():
        narrator.say(f"{service}: she enables {', '.join(actions)}", 2)
        connection = _connect(here, sandbox, service, actions)
        new = sorted(short(s) for s in connection.scopes - held)
        indent(f"[green]✓[/] connected [bold]{connection.account}[/] as {connection.id}", 4)
        earlier = f" (and the {len(connection.scopes & held)} granted before it)" if held else ""
        narrator.say(f"scopes granted: {', '.join(new)}{earlier}", 6)
        held |= connection.scopes
        connections.append(connection)
    present = [s for s in NEVER_ASKED if s in held]
    if present:
        raise DemoFailed(f"Google granted {', '.join(present)}, which no enabled action needs")
    narrator.say(
        f"never asked for: {MAIL_FULL} (all of Gmail), gmail.modify, calendar (all of Calendar): "
        "replies need gmail.compose, reads need read-only scopes",
        4,
    )
    return connections


def _connect(here: Local, sandbox: GoogleSandbox, service: str, actions: list[str]) -> Connection:
    def browser(url: str) -> None:
        query = parse_qs(urlsplit(url).query)
        scopes = " ".join(short(s) for s in query.get("scope", [""])[0].split())
        pkce = query.get("code_challenge_method", ["?"])[0]
        indent(f"browser → {urlsplit(url).path}  scope={plain(scopes)}  code_challenge_method={pkce}", 4)
        follow_consent(url, 4)

    client_id, secret = sandbox_client()
    connection = connect_google(
        here.vault,
        service,
        scopes=scopes_for(service, actions),
        client_id=client_id,
        client_secret=secret,
        oauth_base=sandbox.url,
        api_base=sandbox.url,
        open_browser=browser,
        timeout=15.0,
    )
    here.audit.record(
        actor="person",
        subject=connection.account,
        action="connection.connect",
        outcome="ok",
        reasons=(f"scopes granted: {','.join(sorted(connection.scopes))}",),
        result_ref=connection.id,
    )
    return connection


def sandbox_client() -> tuple[str, str]:
    """The OAuth client the Google sandbox has registered."""
    from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

    return DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET


def scene_grant(here: Local, narrator: Narrator, connections: list[Connection]) -> IssuedGrant:
    narrator.scene("2.2", f"Mona grants {AGENT} read, draft and write, under her policy")
    ids = [c.id for c in connections]
    narrator.command(
        f"charter grant create --agent {AGENT} --connection {ids[0]} --connection {ids[1]} "
        "--verbs read,draft,write --constraint calendars=primary --budget 30 --ttl 1h"
    )
    grant = create_grant(
        here,
        agent=AGENT,
        connections=ids,
        verbs=["read", "draft", "write"],
        constraints={"calendars": ["primary"]},
        budget=30,
        ttl=timedelta(hours=1),
    )
    indent(f"[green]✓[/] grant [bold]{grant.id}[/]: {plain(describe(grant.claims))}, expires in 1 h", 2)
    narrator.say("Mona adds one rule to the default policy (in her own home: $CHARTER_HOME/policy.yaml):")
    syntax = Syntax(POLICY.rstrip(), "yaml", theme="ansi_dark", background_color="default")
    console.print(Padding(syntax, (0, 0, 0, 4)))
    narrator.say(
        "No rule waives the checks that read each send: an address outside acme.com, or text the agent "
        "read quoted into the mail, still waits for her."
    )
    return grant


def scene_agent(here: Local, narrator: Narrator, kit: NarratedToolkit, sandbox: GoogleSandbox) -> ToolResult:
    narrator.scene("2.3", f"{AGENT} reads unread mail and tomorrow's meetings, drafts, sends")
    source = inspect.getsource(demo_agent.inbox_round) + "\n\n" + inspect.getsource(demo_agent.reply_all)
    show_agent(narrator, source, "result = inbox_round(Toolkit(grant_token), tomorrow)", beats=4.0)
    tomorrow = datetime.fromtimestamp(sandbox.clock.now(), UTC).date() + timedelta(days=1)
    paused = demo_agent.inbox_round(kit, tomorrow)
    if paused.approval is None:
        raise DemoFailed(f"the reply to {PARTNER} should have paused for approval; it ended {paused.status}")
    narrator.say(
        "Alex Morgan's unread mail tries to give the agent orders; like all read text it reached the "
        "agent inside <ud> (untrusted data) markers beside its author, as information, not instructions."
    )
    _show_internal_reply(here, narrator, sandbox)
    narrator.say(
        f"The reply to {PARTNER} waits for Mona; mail sent to partner.example so far: "
        f"[bold]{len(sent_to(sandbox, PARTNER))}[/]."
    )
    _show_held_proposal(narrator, sandbox, tomorrow)
    return paused


def _show_internal_reply(here: Local, narrator: Narrator, sandbox: GoogleSandbox) -> None:
    """The reply inside acme.com went out at once: what Gmail sent, and the reason from the audit log."""
    sent = [s for s in _sent(sandbox) if PARTNER not in s.recipients]
    if len(sent) != 1 or not all(a.endswith("@" + OWN_DOMAIN) for a in sent[0].recipients):
        raise DemoFailed(f"expected 1 reply inside {OWN_DOMAIN} to be sent at once; Gmail sent {len(sent)}")
    reply = sent[0]
    commits = [e for e in here.audit.tail(20) if e.action == "gmail_commit_draft" and e.decision == "allow"]
    why = "; ".join(commits[-1].reasons) if commits else "allowed"
    narrator.say(
        f"The reply to {', '.join(reply.to)} (cc {', '.join(reply.cc)}) went out at once. Audit: "
        f"“{plain(why)}”; every address is inside {OWN_DOMAIN}.",
    )
    _show_threading(reply, _thread_of(sandbox, "Q3 planning offsite"))


def _show_threading(mail: SentMail, thread: str) -> None:
    if mail.thread_id != thread or not mail.header("In-Reply-To"):
        raise DemoFailed(f"sent message {mail.message_id} left its thread {thread}")
    answered = plain(mail.header("In-Reply-To"))
    indent(f"Gmail: in thread {mail.thread_id}, the one answered; In-Reply-To {answered}", 4)


def _show_held_proposal(narrator: Narrator, sandbox: GoogleSandbox, tomorrow: date) -> None:
    with sandbox.lock:
        titles = [str(e.get("summary", "")) for e in sandbox.state.calendar.events("primary")]
    if "Offsite prep" in titles:
        raise DemoFailed("the proposed event reached the calendar although nobody committed it")
    narrator.say(
        f"The proposal stays a held draft: Mona's calendar has no “Offsite prep” on {tomorrow:%a %d %b}."
    )


def scene_approve(
    here: Local,
    narrator: Narrator,
    kit: NarratedToolkit,
    sandbox: GoogleSandbox,
    grant: IssuedGrant,
    paused: ToolResult,
) -> None:
    assert paused.approval is not None
    approval_id = paused.approval.approval_id
    narrator.scene("2.4", "Mona reads the reply to the partner and decides")
    approved = person_decides(here, narrator, approval_id)
    narrator.say("The agent resumes, twice. A decision is bound to the payload's hash and holds once:")
    kit.resume(approval_id)
    kit.resume(approval_id)
    sent = sent_to(sandbox, PARTNER)
    if not approved:
        if sent:
            raise DemoFailed(f"Mona denied the reply, yet Gmail sent {len(sent)} message(s) to {PARTNER}")
        narrator.say(f"sandbox (sb.state.gmail.sent): [bold]0[/] messages to {PARTNER}: it stays denied", 2)
        return
    header = sent[0].header(AGENT_HEADER) if len(sent) == 1 else ""
    if f"grant={grant.id}" not in header:
        raise DemoFailed(f"expected 1 message to {PARTNER} naming grant {grant.id}; Gmail sent {len(sent)}")
    narrator.say(f"sandbox (sb.state.gmail.sent): [bold]1[/] message to {PARTNER}, after two resumes", 2)
    indent(f"Cc: {', '.join(sent[0].cc)}   {AGENT_HEADER}: {plain(header)}", 4)
    _show_threading(sent[0], _thread_of(sandbox, "Contract renewal"))


def _sent(sandbox: GoogleSandbox) -> list[SentMail]:
    with sandbox.lock:
        return list(sandbox.state.gmail.sent)


def sent_to(sandbox: GoogleSandbox, address: str) -> list[SentMail]:
    """Mail the sandbox's Gmail sent that reached `address`."""
    return [s for s in _sent(sandbox) if address in s.recipients]


def _thread_of(sandbox: GoogleSandbox, subject: str) -> str:
    """The thread of the seeded conversation whose subject mentions `subject`."""
    with sandbox.lock:
        messages = list(sandbox.state.gmail.messages.values())
    found = next((m.thread_id for m in messages if subject in m.header("Subject")), None)
    if found is None:
        raise DemoFailed(f"the sandbox's mailbox has no conversation about {subject!r}")
    return found


__all__ = ["google_scene", "sent_to"]

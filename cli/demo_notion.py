"""A scene of `charter demo`: an agent turns meeting notes into a project page in Notion, and comments."""

from __future__ import annotations

import contextlib
import inspect
from datetime import timedelta

import httpx

from charter.agents import Toolkit, ToolResult
from charter.auth.connect_notion import connect_notion
from charter.auth.grants import IssuedGrant
from charter.auth.vault import Connection
from charter.cli.connections import record_connected
from charter.cli.context import Local
from charter.cli.demo_agent import unwrap
from charter.cli.demo_github import follow_consent, last_seq, scene_audit, show_agent
from charter.cli.grants import create_grant, describe
from charter.cli.narration import DemoFailed, NarratedToolkit, Narrator, indent, person_runs
from charter.cli.output import plain
from charter.sandboxes.notion import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, NotionSandbox, seed_id

AGENT = "notes-bot"
CAPABILITIES = ["insert_comments", "insert_content", "read_comments", "read_content", "update_content"]


def meeting_to_project(kit: Toolkit, space: str) -> list[ToolResult]:
    """Turn the latest meeting notes into a project page, then point the notes at it."""
    found = kit.call("notion_search", {"query": "Meeting notes", "kind": "page", "within": space})
    notes = found.data["items"][0]["data"]
    text = kit.call("notion_read_page_text", {"page_id": notes["id"], "within": space}).data["data"]
    decisions = [line[3:] for line in unwrap(text["markdown"]).splitlines() if line.startswith("1. ")]
    sources = kit.call("notion_search", {"query": "Projects", "kind": "data_source", "within": space})
    projects = sources.data["items"][0]["data"]["id"]
    page = {
        "parent_id": projects,
        "within": space,
        "title": "Follow-ups from the 2025-01-14 meeting",
        "properties": {"Status": "Not started", "Owner": "Mona", "Priority": "High", "Tags": ["docs"]},
        "markdown": "## Decisions\n" + "\n".join(f"- [ ] {d}" for d in decisions),
    }
    draft = kit.call("notion_draft_page", page)
    created = kit.call("notion_commit_draft", {"draft_id": draft.data["draft_id"]})
    comment = {"page_id": notes["id"], "within": space, "text": "Follow-ups are in the Projects database."}
    return [created, kit.call("notion_add_comment", comment)]


def notion_scene(here: Local, narrator: Narrator, sandbox: NotionSandbox | None = None) -> None:
    """Consent, a grant fenced to one page tree, the agent's calls, two approvals, the audit trail.

    With `sandbox` (started by the caller) the scene plays against it and leaves it running.
    """
    narrator.act(
        3, "Notion", f"{AGENT} turns meeting notes into a project page; Mona approves what it writes"
    )
    first_entry = last_seq(here)
    with contextlib.nullcontext(sandbox) if sandbox else NotionSandbox() as sandbox:
        indent(f"Notion sandbox: {sandbox.url} (in this process)", 2)
        connection = _connect(here, narrator, sandbox)
        grant = _grant(here, narrator, connection)
        kit = NarratedToolkit(grant.token, home=here.home, vault=here.vault)
        kit.narrator = narrator
        _agent(narrator, kit)
        _approve(here, narrator, kit, sandbox)
    scene_audit(here, narrator, "3.5", first_entry)


def _connect(here: Local, narrator: Narrator, sandbox: NotionSandbox) -> Connection:
    narrator.scene("3.1", "Mona connects Notion and shares one page tree with the integration")
    narrator.say("Notion's OAuth: owner=user, the code exchanged with HTTP Basic, tokens that rotate.")
    narrator.say("On the consent screen Mona picks the pages to share: Team Home (and so everything below).")
    sandbox.state.shared.clear()
    sandbox.oauth.share_on_consent({seed_id("team-home")})
    connection = connect_notion(
        here.vault,
        capabilities=CAPABILITIES,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        oauth_base=sandbox.url,
        api_base=sandbox.url,
        open_browser=follow_consent,
        timeout=15.0,
    )
    record_connected(here, connection)
    indent(f"[green]✓[/] connected [bold]{connection.account}[/] as {connection.id}", 2)
    indent(f"capabilities (Notion's scopes): {', '.join(sorted(connection.scopes))}", 4)
    return connection


def _grant(here: Local, narrator: Narrator, connection: Connection) -> IssuedGrant:
    home = seed_id("team-home")
    narrator.scene("3.2", f"Mona grants {AGENT} the Team Home page tree, for an hour")
    narrator.command(
        f"charter grant create --agent {AGENT} --connection {connection.id} --verbs read,draft,write "
        f"--constraint pages={home} --budget 20 --ttl 1h"
    )
    grant = create_grant(
        here,
        agent=AGENT,
        connections=[connection.id],
        verbs=["read", "draft", "write"],
        constraints={"pages": [home]},
        budget=20,
        ttl=timedelta(hours=1),
    )
    indent(f"[green]✓[/] grant [bold]{grant.id}[/]: {plain(describe(grant.claims))}", 2)
    return grant


def _agent(narrator: Narrator, kit: NarratedToolkit) -> None:
    narrator.scene("3.3", f"{AGENT} reads the notes and drafts the project page")
    space = seed_id("team-home")
    show_agent(
        narrator,
        inspect.getsource(meeting_to_project),
        f"results = meeting_to_project(Toolkit(grant_token), {space!r})",
    )
    created, comment = meeting_to_project(kit, space)
    if created.approval is None:
        raise DemoFailed(f"creating the page should have paused for approval; it ended {created.status}")
    narrator.say("Both writes reach the workspace, so policy pauses them for Mona.")
    narrator.say("The grant fences the agent in: a page outside Team Home, and trashing, are refused.")
    kit.call("notion_get_page", {"page_id": seed_id("private"), "within": space})
    kit.call("notion_trash_page", {"page_id": seed_id("meeting-notes"), "within": space})
    if comment.approval is None:
        raise DemoFailed(f"the comment should have paused for approval; it ended {comment.status}")


def _approve(here: Local, narrator: Narrator, kit: NarratedToolkit, sandbox: NotionSandbox) -> None:
    narrator.scene("3.4", "Mona approves the page and the comment")
    for approval in here.approvals.list("pending"):
        person_runs(here, narrator, "approvals", "approve", approval.id, "--yes")
        kit.resume(approval.id)
    state = httpx.get(f"{sandbox.url}/_sandbox/state", timeout=10.0).json()
    pages = [p for p in state["pages"].values() if p["title"].startswith("Follow-ups from")]
    notes = state["pages"][seed_id("meeting-notes")]
    if len(pages) != 1 or not any(AGENT in c for c in notes["comments"]):
        raise DemoFailed(
            f"expected one follow-up page and a comment by {AGENT}; the sandbox shows {len(pages)}"
        )
    indent(f"sandbox inspection API: one page in Projects, its last line names {AGENT} and the grant:", 2)
    indent(plain(pages[0]["content"][-1]), 4)


__all__ = ["meeting_to_project", "notion_scene"]

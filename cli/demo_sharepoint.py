"""The SharePoint scene of `charter demo`: an agent files a document and asks to share it."""

from __future__ import annotations

import inspect
from datetime import timedelta

from charter.agents import ToolResult
from charter.auth.connect_microsoft import connect_microsoft
from charter.auth.policy import DEFAULT_POLICY_FILE, POLICY_FILE
from charter.auth.providers.microsoft import browser_url
from charter.auth.vault import Connection
from charter.cli.connect_google import scopes_for
from charter.cli.connections import record_connected
from charter.cli.context import Local
from charter.cli.demo_agent import unwrap
from charter.cli.demo_github import follow_consent, last_seq, scene_audit, show_agent
from charter.cli.grants import create_grant, describe
from charter.cli.narration import DemoFailed, NarratedToolkit, Narrator, indent, person_runs
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID, GraphSandbox

AGENT = "filing-bot"
SITE = "contoso.sharepoint.com/sites/Finance"
REPORT = "Reports/Q3 board pack.txt"


def file_and_share(kit: NarratedToolkit) -> ToolResult:
    """File the Q3 board pack next to the other reports, then ask for a link the board can open."""
    where = {"site": SITE, "path": "Reports"}
    reports = kit.call("sharepoint_list_children", where).data["items"]
    names = ", ".join(unwrap(r["data"]["name"]) for r in reports)
    text = f"Q3 board pack\n\nRevenue grew 7% in Q3.\nEarlier reports: {names}\n"
    upload = kit.call("sharepoint_draft_upload", {"site": SITE, "path": REPORT, "content": text})
    kit.call("sharepoint_commit_draft", {"draft_id": upload.data["draft_id"]})
    link = {"site": SITE, "path": REPORT, "type": "view", "scope": "organization"}
    share = kit.call("sharepoint_draft_sharing_link", link)
    return kit.call("sharepoint_commit_draft", {"draft_id": share.data["draft_id"]})


FILING_RULE = f"""
  # Added by the SharePoint scene of `charter demo`: uploads reach everyone who can read the site,
  # which pauses them by default; Adele lets {AGENT} file without asking.
  - outcome: allow
    actions: ["sharepoint_upload_file"]
    reaches: ["domain"]
    agents: ["{AGENT}"]
    reason: Adele lets {AGENT} file reports into the folder she granted
"""


def _allow_filing(here: Local) -> bool:
    """Adele's policy for the scene: the shipped one plus a rule for filing; a policy of hers stays."""
    path = here.home.path / POLICY_FILE
    if path.exists():
        return False
    path.write_text(DEFAULT_POLICY_FILE.read_text() + FILING_RULE)
    return True


def sharepoint_scene(here: Local, narrator: Narrator) -> None:
    """Consent through msal, a grant fenced to one folder, an upload, a paused share, one link."""
    narrator.act(3, "SharePoint", f"{AGENT} files the Q3 board pack; Adele approves sharing it")
    first_entry = last_seq(here)
    with GraphSandbox() as sandbox:
        indent(f"Microsoft Graph sandbox: {sandbox.url} (uploads and downloads on their own hosts)", 2)
        connection = _connect(here, narrator, sandbox)
        narrator.scene("3.2", f"Adele grants {AGENT} the Reports folder of the Finance site only")
        grant = create_grant(
            here,
            agent=AGENT,
            connections=[connection.id],
            verbs=["read", "draft", "write"],
            constraints={"sites": [SITE], "folders": ["Reports/*", "Reports"]},
            budget=20,
            ttl=timedelta(hours=1),
        )
        indent(f"[green]✓[/] grant [bold]{grant.id}[/]: {describe(grant.claims)}, expires in 1 h", 2)
        if _allow_filing(here):
            indent("policy.yaml: filing into the site needs no approval (every other write still does)", 2)
        kit = NarratedToolkit(grant.token, home=here.home, vault=here.vault)
        kit.narrator = narrator
        narrator.scene("3.3", f"{AGENT} goes to work")
        show_agent(
            narrator, inspect.getsource(file_and_share), "result = file_and_share(Toolkit(grant_token))"
        )
        paused = file_and_share(kit)
        if paused.approval is None:
            raise DemoFailed(f"sharing should have paused for approval; it ended {paused.status}")
        narrator.say(
            f"Sharing is tagged `sharing`, so policy pauses it. Links on the file: {_links(sandbox)}."
        )
        narrator.scene("3.4", "Adele reads who the link would reach, and approves")
        person_runs(here, narrator, "approvals", "approve", paused.approval.approval_id, "--yes")
        kit.resume(paused.approval.approval_id)
        kit.resume(paused.approval.approval_id)
        if _links(sandbox) != 1:
            raise DemoFailed(
                f"expected exactly 1 sharing link on {REPORT}, the sandbox has {_links(sandbox)}"
            )
        narrator.say(f"sandbox inspection: [bold]1[/] organization link on {REPORT}, after two resumes", 2)
    scene_audit(here, narrator, "3.5", first_entry)


def _connect(here: Local, narrator: Narrator, sandbox: GraphSandbox) -> Connection:
    narrator.scene("3.1", "Adele connects SharePoint through msal")
    narrator.say("msal runs the sign-in (auth code + PKCE); its token cache is kept encrypted in the vault.")
    authority = f"{sandbox.url}/organizations"
    connection = connect_microsoft(
        here.vault,
        scopes=scopes_for("sharepoint", []),
        client_id=DEFAULT_CLIENT_ID,
        authority=authority,
        api_base=sandbox.graph_base,
        open_browser=lambda url: follow_consent(browser_url(authority, url)),
        timeout=15.0,
    )
    record_connected(here, connection)
    indent(f"[green]✓[/] connected [bold]{connection.account}[/] as {connection.id}", 2)
    indent(f"permissions granted: {', '.join(sorted(connection.scopes))}", 4)
    return connection


def _links(sandbox: GraphSandbox) -> int:
    finance = next(s for s in sandbox.state.sites.values() if s.path == "/sites/Finance")
    with sandbox.lock:
        item = sandbox.state.by_path(sandbox.state.drives[finance.drive_ids[0]], REPORT)
        return 0 if item is None else sum(1 for p in item.permissions if "link" in p)


__all__ = ["file_and_share", "sharepoint_scene"]

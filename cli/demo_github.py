"""Scene 1 of `charter demo`: an agent triages a GitHub issue, with a person in the loop."""

from __future__ import annotations

import inspect
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
from rich.panel import Panel
from rich.syntax import Syntax

from charter.agents import SQLDraftStore, ToolResult
from charter.auth.grants import IssuedGrant
from charter.auth.vault import Connection
from charter.cli import demo_agent
from charter.cli.connections import connect_github_account, default_scopes
from charter.cli.context import Local
from charter.cli.grants import create_grant, describe
from charter.cli.narration import (
    DemoFailed,
    NarratedToolkit,
    Narrator,
    indent,
    person_decides,
    person_runs,
)
from charter.cli.output import console, plain
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import UpstreamError

AGENT = "triage-bot"
REPO = "acme/web"


def github_scene(here: Local, narrator: Narrator) -> None:
    """Consent, grant, the agent's calls, the approval pause, one posted comment, the audit trail."""
    narrator.act(1, "GitHub", "triage-bot triages a bug in acme/web; Mona approves what it posts")
    first_entry = last_seq(here)
    with GitHubSandbox() as sandbox:
        indent(f"GitHub sandbox: {sandbox.url} (in this process)", 2)
        connection = scene_connect(here, narrator, sandbox)
        grant = scene_grant(here, narrator, connection)
        kit = NarratedToolkit(grant.token, home=here.home, vault=here.vault)
        kit.narrator = narrator
        paused, number = scene_agent(here, narrator, kit, sandbox, grant)
        scene_approve(here, narrator, kit, sandbox, grant, paused, number)
    scene_audit(here, narrator, "1.5", first_entry)


def scene_connect(here: Local, narrator: Narrator, sandbox: GitHubSandbox) -> Connection:
    narrator.scene("1.1", "Mona connects her GitHub account")
    narrator.say("Charter runs the real loopback consent flow (RFC 8252): PKCE S256 and a random state.")
    narrator.say("The sandbox's consent screen says yes on its own, as if Mona clicked Authorize.")

    def browser(url: str) -> None:
        query = parse_qs(urlsplit(url).query)
        shown = {k: query[k][0] for k in ("client_id", "scope", "code_challenge_method") if k in query}
        indent(f"browser → {urlsplit(url).path}  {plain(' '.join(f'{k}={v}' for k, v in shown.items()))}", 2)
        follow_consent(url)

    connection = connect_github_account(
        here, scopes=default_scopes("github"), sandbox=sandbox.url, open_browser=browser, timeout=15.0
    )
    indent(f"[green]✓[/] connected [bold]{connection.account}[/] as {connection.id}", 2)
    indent(f"scopes granted by GitHub: {', '.join(sorted(connection.scopes))}", 4)
    narrator.say("tokens are stored AES-GCM encrypted in the vault; the agent never sees them.", 4)
    return connection


def follow_consent(url: str, spaces: int = 2) -> None:
    """Open the consent URL like a browser whose user clicks Authorize, and say where it lands."""
    answer = httpx.get(url, follow_redirects=True, timeout=10.0)
    callback = urlsplit(str(answer.url))
    where = f"{callback.scheme}://{callback.netloc}{callback.path}"
    indent(f"redirected to {where} with a code and the state", spaces)


def scene_grant(here: Local, narrator: Narrator, connection: Connection) -> IssuedGrant:
    narrator.scene("1.2", f"Mona grants {AGENT} a narrow, expiring credential")
    narrator.command(
        f"charter grant create --agent {AGENT} --connection {connection.id} "
        f"--verbs read,draft,write --constraint repos={REPO} --budget 20 --ttl 1h"
    )
    grant = create_grant(
        here,
        agent=AGENT,
        connections=[connection.id],
        verbs=["read", "draft", "write"],
        constraints={"repos": [REPO]},
        budget=20,
        ttl=timedelta(hours=1),
    )
    indent(f"[green]✓[/] grant [bold]{grant.id}[/]: {plain(describe(grant.claims))}, expires in 1 h", 2)
    narrator.say(f"token {grant.token[:10]}… (signed; the agent's only credential, handed to it once)", 2)
    return grant


def show_agent(narrator: Narrator, source: str, call: str, beats: float = 2.0) -> None:
    """The agent's code in a panel, as it will run."""
    code = f"from charter.agents import Toolkit, ToolResult\n\n{source}\n\n{call}"
    syntax = Syntax(code, "python", theme="ansi_dark", background_color="default", word_wrap=True)
    console.print(Panel(syntax, title="the agent (charter.cli.demo_agent)", title_align="left"))
    narrator.pause(beats)


def scene_agent(
    here: Local, narrator: Narrator, kit: NarratedToolkit, sandbox: GitHubSandbox, grant: IssuedGrant
) -> tuple[ToolResult, int]:
    narrator.scene("1.3", f"{AGENT} goes to work")
    narrator.say("The agent is a few lines of ordinary code. Its tools are exactly what the grant allows:")
    indent(", ".join(t.name.removeprefix("github_") for t in kit.tools()), 2)
    show_agent(narrator, inspect.getsource(demo_agent.triage), "result = triage(Toolkit(grant_token))")
    paused = demo_agent.triage(kit)
    if paused.approval is None:
        raise DemoFailed(f"the commit should have paused for approval; it ended {paused.status}")
    number = _issue_number(here, paused.approval.approval_id)
    narrator.say(
        f"Posting is external, so policy pauses it. On GitHub: {_posted(sandbox, grant, number)} comments."
    )
    narrator.say("The grant also fences the agent in. Two calls it may not make:")
    kit.call("github_list_issues", {"repo": "acme/api"})
    kit.call("github_merge_pull_request", {"repo": REPO, "number": 1})
    return paused, number


def scene_approve(
    here: Local,
    narrator: Narrator,
    kit: NarratedToolkit,
    sandbox: GitHubSandbox,
    grant: IssuedGrant,
    paused: ToolResult,
    number: int,
) -> None:
    assert paused.approval is not None
    approval_id = paused.approval.approval_id
    narrator.scene("1.4", "Mona reviews the exact comment and decides")
    approved = person_decides(here, narrator, approval_id)
    narrator.say("The agent resumes, twice. A decision is bound to the payload's hash and holds once:")
    kit.resume(approval_id)
    kit.resume(approval_id)
    posted, expected = _posted(sandbox, grant, number), 1 if approved else 0
    if posted != expected:
        raise DemoFailed(
            f"expected exactly {expected} comment by {AGENT} on {REPO}#{number}, the sandbox has {posted}"
        )
    narrator.say(
        f"sandbox inspection API: [bold]{posted}[/] comment on {REPO}#{number} carries {AGENT}'s "
        "attribution line, after two resumes",
        2,
    )


def last_seq(here: Local) -> int:
    """The sequence number of the audit log's latest entry (0 when it is empty)."""
    latest = here.audit.tail(1)
    return latest[0].seq if latest else 0


def scene_audit(here: Local, narrator: Narrator, label: str, first_entry: int) -> None:
    """The scene's entries of the hash-chained audit log, then the whole chain verified."""
    narrator.scene(label, "Every step is in the hash-chained audit log")
    person_runs(here, narrator, "audit", "tail", "-n", str(max(last_seq(here) - first_entry, 1)))
    person_runs(here, narrator, "audit", "verify")


def _issue_number(here: Local, approval_id: str) -> int:
    """The issue a paused commit would comment on, from the draft it commits."""
    draft_id = here.approvals.get(approval_id).args.get("draft_id")
    draft = SQLDraftStore(here.home).get(str(draft_id))
    if draft is None:
        raise DemoFailed(f"approval {approval_id} names no saved draft")
    return int(draft.change["number"])


def _posted(sandbox: GitHubSandbox, grant: IssuedGrant, number: int) -> int:
    """Comments on the issue carrying this grant's attribution line, read through the inspection API."""
    try:
        state = httpx.get(f"{sandbox.url}/_sandbox/state", timeout=10.0).json()
    except httpx.HTTPError as exc:
        raise UpstreamError(f"the sandbox's inspection API did not answer ({type(exc).__name__})") from None
    issue = next(i for i in state["repos"][REPO]["issues"] if i["number"] == number)
    return sum(f"grant `{grant.id}`" in c["body"] for c in issue["comments"])


__all__ = ["follow_consent", "github_scene", "last_seq", "scene_audit", "show_agent"]

"""`charter demo`: an agent triages a GitHub issue, with a person in the loop, on the embedded sandbox."""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

import httpx
import typer
from rich.panel import Panel
from rich.syntax import Syntax

from charter.agents import SQLDraftStore, ToolResult
from charter.auth.grants import IssuedGrant
from charter.auth.vault import Connection
from charter.cli import demo_agent
from charter.cli.connections import connect_github_account, default_scopes
from charter.cli.context import Local
from charter.cli.grants import create_grant, describe
from charter.cli.narration import NarratedToolkit, Narrator, indent
from charter.cli.output import console, plain
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import CharterError, UpstreamError

AGENT = "triage-bot"
REPO = "acme/web"
# Settings a throwaway demo home must not inherit (they point at the person's real Charter).
_ISOLATED_ENV = ("CHARTER_HOME", "CHARTER_DATABASE_URL", "CHARTER_KEY", "CHARTER_GRANT_KEY")


class DemoFailed(CharterError):
    """The demo saw something other than what Charter promises (e.g. a comment posted twice)."""

    code = "demo_failed"


def demo_command(
    home: Annotated[
        Path | None, typer.Option("--home", help="Keep the demo's Charter home here (default: a temp dir).")
    ] = None,
    pace: Annotated[
        float | None, typer.Option("--pace", min=0.0, help="Seconds per beat; 0 runs at full speed.")
    ] = None,
) -> None:
    """Watch an agent triage a GitHub issue: consent, grant, approval pause, approve, audit (~15 s)."""
    beat = pace if pace is not None else (0.5 if sys.stdout.isatty() else 0.0)
    with _demo_home(home) as path:
        run_demo(Local(path), Narrator(beat))


@contextlib.contextmanager
def _demo_home(home: Path | None) -> Iterator[Path]:
    if home is not None:
        yield home
        return
    saved = {name: os.environ.pop(name) for name in _ISOLATED_ENV if name in os.environ}
    try:
        with tempfile.TemporaryDirectory(prefix="charter-demo-") as tmp:
            yield Path(tmp) / "home"
    finally:
        os.environ.update(saved)


def run_demo(here: Local, narrator: Narrator) -> None:
    """The five scenes, against a GitHub sandbox started in this process."""
    console.print("[bold]Charter demo[/]: an agent triages a GitHub issue; a person stays in control.")
    with GitHubSandbox() as sandbox:
        indent(f"GitHub sandbox: {sandbox.url} (in this process)", 2)
        indent(f"Charter home:   {here.path}", 2)
        connection = scene_connect(here, narrator, sandbox)
        grant = scene_grant(here, narrator, connection)
        kit = NarratedToolkit(grant.token, home=here.home, vault=here.vault)
        kit.narrator = narrator
        paused, number = scene_agent(here, narrator, kit, sandbox, grant)
        scene_approve(here, narrator, kit, sandbox, grant, paused, number)
        scene_audit(here, narrator)
    console.print()
    console.print("[bold]Try next[/]")
    indent("charter --help         every command; `charter sandbox up` to explore by hand", 2)
    indent("README.md              the 5-minute tour: grants, policy, approvals, audit", 2)
    indent("docs/                  the security model; writing and testing a connector", 2)


def scene_connect(here: Local, narrator: Narrator, sandbox: GitHubSandbox) -> Connection:
    narrator.scene(1, "Mona connects her GitHub account")
    narrator.say("Charter runs the real loopback consent flow (RFC 8252): PKCE S256 and a random state.")
    narrator.say("The sandbox's consent screen says yes on its own, as if Mona clicked Authorize.")

    def browser(url: str) -> None:
        query = parse_qs(urlsplit(url).query)
        shown = {k: query[k][0] for k in ("client_id", "scope", "code_challenge_method") if k in query}
        indent(f"browser → {urlsplit(url).path}  {plain(' '.join(f'{k}={v}' for k, v in shown.items()))}", 2)
        answer = httpx.get(url, follow_redirects=True, timeout=10.0)
        callback = urlsplit(str(answer.url))
        indent(
            f"redirected to {callback.scheme}://{callback.netloc}{callback.path} with a code and the state", 2
        )

    connection = connect_github_account(
        here, scopes=default_scopes("github"), sandbox=sandbox.url, open_browser=browser, timeout=15.0
    )
    indent(f"[green]✓[/] connected [bold]{connection.account}[/] as {connection.id}", 2)
    indent(f"scopes granted by GitHub: {', '.join(sorted(connection.scopes))}", 4)
    narrator.say("tokens are stored AES-GCM encrypted in the vault; the agent never sees them.", 4)
    return connection


def scene_grant(here: Local, narrator: Narrator, connection: Connection) -> IssuedGrant:
    narrator.scene(2, f"Mona grants {AGENT} a narrow, expiring credential")
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


def scene_agent(
    here: Local, narrator: Narrator, kit: NarratedToolkit, sandbox: GitHubSandbox, grant: IssuedGrant
) -> tuple[ToolResult, int]:
    narrator.scene(3, f"{AGENT} goes to work")
    narrator.say("The agent is a few lines of ordinary code. Its tools are exactly what the grant allows:")
    indent(", ".join(t.name.removeprefix("github_") for t in kit.tools()), 2)
    source = inspect.getsource(demo_agent.triage)
    code = (
        f"from charter.agents import Toolkit, ToolResult\n\n{source}\n\nresult = triage(Toolkit(grant_token))"
    )
    syntax = Syntax(code, "python", theme="ansi_dark", background_color="default", word_wrap=True)
    console.print(Panel(syntax, title="the agent (charter.cli.demo_agent)", title_align="left"))
    narrator.pause(2.0)
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
    narrator.scene(4, "Mona reviews the exact comment and approves it")
    cli(here, narrator, "approvals", "approve", approval_id, "--yes")
    narrator.say("The agent resumes. The approval is bound to the payload's hash and runs once:")
    kit.resume(approval_id)
    kit.resume(approval_id)
    posted = _posted(sandbox, grant, number)
    if posted != 1:
        raise DemoFailed(
            f"expected exactly 1 comment by {AGENT} on {REPO}#{number}, the sandbox has {posted}"
        )
    narrator.say(
        f"sandbox inspection API: [bold]{posted}[/] comment on {REPO}#{number} carries {AGENT}'s "
        "attribution line, after two resumes",
        2,
    )


def scene_audit(here: Local, narrator: Narrator) -> None:
    narrator.scene(5, "Every step is in the hash-chained audit log")
    cli(here, narrator, "audit", "tail", "-n", "50")
    cli(here, narrator, "audit", "verify")


def cli(here: Local, narrator: Narrator, *args: str) -> None:
    """Run a `charter` command in this process, against the demo's home, as the person would."""
    from charter.cli.main import main

    narrator.command("charter " + " ".join(args))
    code = main(["--home", str(here.path), *args])
    if code != 0:
        raise DemoFailed(f"`charter {' '.join(args)}` failed (exit {code}); see the error above")
    narrator.pause()


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


__all__ = ["DemoFailed", "demo_command", "run_demo"]

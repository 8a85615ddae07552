"""How `charter demo` tells its story: scenes and steps, paced lines, a Toolkit that narrates its calls."""

from __future__ import annotations

import time
from collections.abc import Mapping
from email.utils import parseaddr
from typing import Any

from rich.padding import Padding
from rich.panel import Panel

from charter.agents import Toolkit, ToolResult
from charter.cli.context import Local
from charter.cli.demo_agent import unwrap
from charter.cli.output import console, excerpt, plain
from charter.schemas import CharterError


class DemoFailed(CharterError):
    """The demo saw something other than what Charter promises (e.g. a comment posted twice)."""

    code = "demo_failed"


def indent(text: str, spaces: int = 2) -> None:
    """Print markup `text` with a hanging indent, so wrapped lines stay aligned."""
    console.print(Padding(text, (0, 0, 0, spaces), expand=False))


class Narrator:
    """Prints the demo's scenes at a pace a person can follow (`pace` 0 for tests)."""

    def __init__(self, pace: float = 0.0, *, interactive: bool = False) -> None:
        self.pace = max(pace, 0.0)
        # With `interactive`, the person at the terminal approves or denies; otherwise the demo does.
        self.interactive = interactive

    def act(self, number: int, title: str, summary: str) -> None:
        """The start of one of the demo's scenes (GitHub, Google)."""
        self.pause(1.0)
        console.print()
        console.print(Panel(f"[bold]{summary}[/]", title=f"Scene {number} · {title}", title_align="left"))

    def scene(self, label: str, title: str) -> None:
        """One numbered step of a scene, e.g. `2.3`."""
        self.pause(1.0)
        console.print()
        console.rule(f"[bold cyan]{label} · {title}[/]", align="left")

    def say(self, text: str, spaces: int = 0) -> None:
        indent(text, spaces)
        self.pause(0.5)

    def command(self, line: str) -> None:
        """A command as the person would type it."""
        indent(f"[bold]$ {plain(line)}[/]", 0)
        self.pause(0.5)

    def pause(self, beats: float = 1.0) -> None:
        if self.pace:
            time.sleep(self.pace * beats)


def person_runs(here: Local, narrator: Narrator, *args: str) -> None:
    """Run a `charter` command in this process, against the demo's home, as the person would."""
    from charter.cli.main import main

    narrator.command("charter " + " ".join(args))
    code = main(["--home", str(here.path), *args])
    if code != 0:
        raise DemoFailed(f"`charter {' '.join(args)}` failed (exit {code}); see the error above")
    narrator.pause()


def person_decides(here: Local, narrator: Narrator, approval_id: str) -> bool:
    """The person's decision on a paused call: asked for real when interactive; True when approved."""
    from charter.cli.main import main

    if not narrator.interactive:
        person_runs(here, narrator, "approvals", "approve", approval_id, "--yes")
        narrator.say("[dim](the demo approved for Mona; `charter demo --interactive` lets you decide)[/]", 2)
        return True
    narrator.say("[bold]Your turn, as Mona:[/] read the preview, then answer y to approve or n to deny.")
    narrator.command(f"charter approvals approve {approval_id}")
    if main(["--home", str(here.path), "approvals", "approve", approval_id]) == 0:
        return True
    person_runs(here, narrator, "approvals", "deny", approval_id, "--reason", "Mona declined it in the demo")
    return False


class NarratedToolkit(Toolkit):
    """A Toolkit that prints each call and its outcome as the agent makes it."""

    narrator: Narrator = Narrator()

    def call(
        self, name: str, args: Mapping[str, Any] | None = None, *, idempotency_key: str | None = None
    ) -> ToolResult:
        shown = " ".join(f"{k}={v!r}" for k, v in (args or {}).items() if k != "body")
        indent(f"[magenta]agent →[/] [bold]{name}[/] {plain(shown)}", 2)
        result = super().call(name, args, idempotency_key=idempotency_key)
        report(result)
        self.narrator.pause(0.6)
        return result

    def resume(self, approval_id: str) -> ToolResult:
        indent(f"[magenta]agent →[/] [bold]resume[/] {approval_id}", 2)
        result = super().resume(approval_id)
        report(result)
        self.narrator.pause(0.6)
        return result


def report(result: ToolResult) -> None:
    """One or two lines on what a call came to; a draft's preview in a panel."""
    data = result.data if isinstance(result.data, dict) else None
    if result.status == "error":
        error = result.error or {}
        indent(f"[red]✗ {error.get('error')}[/]: {plain(str(error.get('message', '')))}", 4)
    elif result.approval is not None:
        indent(f"[yellow]⏸ paused for a person's approval: {result.approval.approval_id}[/]", 4)
        for reason in result.approval.reasons:
            indent(plain(reason), 6)
    elif data is not None and "items" in data:
        _report_items(data["items"])
    elif data is not None and "preview" in data:
        _report_draft(data)
    elif data is not None and isinstance(data.get("data"), dict):
        _report_resource(data["data"])
    elif data is not None:
        replayed = (
            " [dim](replayed: it had already run, nothing new was sent)[/]" if data.get("replayed") else ""
        )
        indent(f"[green]✓[/] {plain(str(data.get('summary', 'done')))}{replayed}", 4)


def _report_draft(data: dict[str, Any]) -> None:
    if data.get("location") == "native":
        where = "saved as a native draft in the service, where the person can open it; nothing is sent yet"
    else:
        where = "held in Charter; nothing is posted yet"
    indent(f"[green]✓[/] draft {data['draft_id']} {where}", 4)
    console.print(Panel(plain(str(data["preview"])), title="draft preview", title_align="left"))


def _report_items(items: list[dict[str, Any]], shown: int = 3) -> None:
    indent(f"[green]✓[/] {len(items)} item(s), wrapped as untrusted data with provenance", 4)
    for item in items[:shown]:
        indent(plain(item_line(item.get("data", {}), item.get("provenance", {}))), 6)
    if len(items) > shown:
        indent(f"[dim]… and {len(items) - shown} more[/]", 6)


def _report_resource(data: dict[str, Any]) -> None:
    messages = data.get("messages")
    if isinstance(messages, list):
        indent(f"[green]✓[/] a thread of {len(messages)} message(s), wrapped as untrusted data", 4)
        for message in messages:
            indent(plain(item_line(message, message.get("provenance", {}))), 6)
    else:
        indent(f"[green]✓[/] {plain(item_line(data, {}))}", 4)


def _shown(value: object) -> str:
    return unwrap(str(value or ""))


def item_line(data: dict[str, Any], source: dict[str, Any]) -> str:
    """One read item as a line a person scans: an issue, a mail, an event or a comment."""
    if "number" in data and "title" in data:
        return f"#{data.get('number')} {_shown(data['title'])} {data.get('labels', [])}"
    if "snippet" in data:
        name = parseaddr(_shown(data.get("sender")))[0] or _shown(data.get("sender"))
        text = _shown(data.get("text") or data.get("snippet"))
        return f"{name}: {_shown(data.get('subject'))} — {excerpt(text, 60)}"
    if isinstance(data.get("start"), dict):
        start, end = data["start"].get("date_time") or "", (data.get("end") or {}).get("date_time") or ""
        hours = f"{start[11:16]}-{end[11:16]}" if start and end else "all day"
        where = f" ({_shown(data['location'])})" if _shown(data.get("location")) else ""
        return f"{hours} {_shown(data.get('title'))}{where}"
    return f"{source.get('author', '?')}: {excerpt(_shown(data.get('body')), 70)}"


__all__ = [
    "DemoFailed",
    "NarratedToolkit",
    "Narrator",
    "indent",
    "item_line",
    "person_decides",
    "person_runs",
    "report",
]

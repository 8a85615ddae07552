"""How `charter demo` tells its story: numbered scenes, paced lines, and a Toolkit that narrates its calls."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from rich.padding import Padding
from rich.panel import Panel

from charter.agents import Toolkit, ToolResult
from charter.cli.output import console, excerpt, plain


def indent(text: str, spaces: int = 2) -> None:
    """Print markup `text` with a hanging indent, so wrapped lines stay aligned."""
    console.print(Padding(text, (0, 0, 0, spaces), expand=False))


class Narrator:
    """Prints the demo's scenes at a pace a person can follow (`pace` 0 for tests)."""

    def __init__(self, pace: float = 0.0) -> None:
        self.pace = max(pace, 0.0)

    def scene(self, number: int, title: str) -> None:
        self.pause(1.0)
        console.print()
        console.rule(f"[bold cyan]{number} · {title}[/]", align="left")

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
    if result.status == "error":
        error = result.error or {}
        indent(f"[red]✗ {error.get('error')}[/]: {plain(str(error.get('message', '')))}", 4)
    elif result.approval is not None:
        pause = result.approval
        indent(f"[yellow]⏸ paused for a person's approval: {pause.approval_id}[/]", 4)
        for reason in pause.reasons:
            indent(plain(reason), 6)
    elif isinstance(result.data, dict) and "items" in result.data:
        _report_items(result.data["items"])
    elif isinstance(result.data, dict) and "preview" in result.data:
        console.print(
            f"    [green]✓[/] draft {result.data['draft_id']} saved in Charter; nothing is posted yet"
        )
        console.print(Panel(plain(str(result.data["preview"])), title="draft preview", title_align="left"))
    elif isinstance(result.data, dict):
        replayed = (
            " [dim](replayed: it had already run, nothing new was sent)[/]"
            if result.data.get("replayed")
            else ""
        )
        indent(f"[green]✓[/] {plain(str(result.data.get('summary', 'done')))}{replayed}", 4)


def _report_items(items: list[dict[str, Any]]) -> None:
    indent(f"[green]✓[/] {len(items)} item(s), wrapped as untrusted data with provenance", 4)
    for item in items[:3]:
        data, source = item.get("data", {}), item.get("provenance", {})
        if "title" in data:
            line = f"#{data.get('number')} {data['title']} {data.get('labels', [])}"
        else:
            line = f"{source.get('author', '?')}: {excerpt(str(data.get('body', '')), 70)}"
        indent(plain(line), 6)


__all__ = ["NarratedToolkit", "Narrator", "indent", "report"]

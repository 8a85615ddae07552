"""`charter --help` without Typer: the root's words and commands, drawn as Typer's rich help draws them.

Typer and its help renderer (Markdown, tracebacks, syntax highlighting) take most of a bare
`charter --help`; the root's help needs none of them. The words live here once: `charter.cli.app`
declares the root from them, and a test holds this drawing equal to Typer's at several widths, in
colour and without.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # rich is imported where a help is drawn: `charter.cli.main` imports this module for every command.
    from rich.console import Console
    from rich.highlighter import RegexHighlighter
    from rich.panel import Panel

ROOT_HELP = (
    "Let AI agents act on your accounts safely: connect services, issue scoped grants to agents, "
    "approve paused calls, read the audit log."
)
HOME_HELP = (
    "The Charter home (vault, grants, approvals, audit log); default ~/.charter. "
    "Given before or after the subcommand."
)
HOME_ENV = "CHARTER_HOME"
VERSION_HELP = "Show the version."
HELP_OPTIONS = ("-h", "--help")
USAGE = "Usage: charter [OPTIONS] COMMAND [ARGS]..."

# Command name -> (module, attribute: a Typer sub-app or a command function, its one-line help),
# in the order help lists them (Typer puts plain commands before sub-apps).
LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": (
        "charter.cli.demo",
        "demo_command",
        "Watch agents triage a GitHub issue and work through Gmail and Calendar (~30 s).",
    ),
    "doctor": (
        "charter.cli.doctor",
        "doctor_command",
        "Check the home, its keys, the database, the installed extras and each connection.",
    ),
    "console": (
        "charter.cli.console.server",
        "console_command",
        "Open the local web console: approvals with passkeys, grants, connections, the audit log.",
    ),
    "connect": (
        "charter.cli.connections",
        "connect_app",
        "Connect an account through the provider's consent screen.",
    ),
    "connections": ("charter.cli.connections", "connections_app", "List or revoke connected accounts."),
    "grant": ("charter.cli.grants", "grant_app", "Issue, list, revoke and narrow grants for agents."),
    "approvals": ("charter.cli.approvals", "approvals_app", "Review, approve or deny paused agent calls."),
    "audit": ("charter.cli.audit", "audit_app", "Read and verify the audit log."),
    "sandbox": (
        "charter.cli.sandbox",
        "sandbox_app",
        "Run local emulators of the services Charter connects to.",
    ),
    "mcp": ("charter.cli.mcp", "mcp_app", "Serve a grant's tools to MCP clients."),
    "new": ("charter.cli.new_connector", "new_app", "Start a new package from Charter's templates."),
    "policy": ("charter.cli.policy", "policy_app", "Check, explain and replay a policy."),
}


def asks_for_root_help(args: list[str]) -> bool:
    """Whether `args` ask only for the root's help (no arguments at all is the same question)."""
    return not args or (len(args) == 1 and args[0] in HELP_OPTIONS)


def print_root_help() -> None:
    """Print the root's help on stdout, as `charter --help` shows it."""
    from rich.align import Align
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    console, options, types = _console()
    console.print(Padding(options(USAGE), 1), style="bold")
    console.print(Padding(Align(Group(options(Text.from_markup(ROOT_HELP))), pad=False), (0, 1, 1, 1)))
    console.print(_options_panel(options, types))
    console.print(_commands_panel(options))
    console.print()  # Typer's help ends with the empty line click's echo adds


def _console() -> tuple[Console, RegexHighlighter, RegexHighlighter]:
    # Typer's console: its theme, its highlighters and the same environment switches.
    from rich.console import Console
    from rich.highlighter import RegexHighlighter
    from rich.theme import Theme

    class Options(RegexHighlighter):
        highlights = [
            r"(^|\W)(?P<switch>\-\w+)(?![a-zA-Z0-9])",
            r"(^|\W)(?P<option>\-\-[\w\-]+)(?![a-zA-Z0-9])",
            r"(?P<types>\<[^\>]+\>)",
            r"(?P<usage>Usage: )",
        ]

    class Types(RegexHighlighter):
        highlights = [r"^(?P<types_sep>(\[|<))", r"(?P<types_sep>\|)", r"(?P<types_sep>(\]|>))(\.\.\.)?$"]

    styles = {
        "option": "bold cyan",
        "switch": "bold green",
        "negative_option": "bold magenta",
        "negative_switch": "bold red",
        "types": "bold yellow",
        "types_sep": "dim",
        "usage": "yellow",
    }
    width = os.environ.get("TERMINAL_WIDTH")
    force = True if any(os.environ.get(v) for v in ("GITHUB_ACTIONS", "FORCE_COLOR", "PY_COLORS")) else None
    if os.environ.get("_TYPER_FORCE_DISABLE_TERMINAL"):
        force = False
    options = Options()
    console = Console(
        theme=Theme(styles),
        highlighter=options,
        color_system="auto",
        force_terminal=force,
        width=int(width) if width else None,
    )
    return console, options, Types()


def _options_panel(options: RegexHighlighter, types: RegexHighlighter) -> Panel:
    from rich.columns import Columns
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    table = Table(highlight=True, show_header=False, expand=True, box=None, pad_edge=False, padding=(0, 1))
    home = Columns([options(Text.from_markup(HOME_HELP)), Text(f"[env var: {HOME_ENV}]", style="dim yellow")])
    rows = (
        ("--home", "", "<path>", home),
        ("--version", "", "<bool>", Columns([options(Text.from_markup(VERSION_HELP))])),
        ("--help", "-h", "<bool>", Columns([options(Text.from_markup("Show this message and exit."))])),
    )
    for long, short, kind, help_ in rows:
        typed = types(Text(kind, style="bold yellow", overflow="fold"))
        table.add_row(options(long), options(short), Text(""), Text(""), typed, help_)
    return Panel(table, border_style="dim", title="Options", title_align="left")


def _commands_panel(options: RegexHighlighter) -> Panel:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    table = Table(highlight=False, show_header=False, expand=True, box=None, pad_edge=False, padding=(0, 1))
    table.add_column(style="bold cyan", no_wrap=True, width=max(map(len, LAZY_COMMANDS)))
    table.add_column("Description", justify="left", no_wrap=False, ratio=10)
    for name, (_, _, help_) in LAZY_COMMANDS.items():
        table.add_row(Text(name), options(Text.from_markup(help_)))
    return Panel(table, border_style="dim", title="Commands", title_align="left")


__all__ = [
    "HOME_ENV",
    "HOME_HELP",
    "LAZY_COMMANDS",
    "ROOT_HELP",
    "VERSION_HELP",
    "asks_for_root_help",
    "print_root_help",
]

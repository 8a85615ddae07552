"""The `charter` command tree: one Typer app, a sub-app per area, and the home it works on.

Each area's module is imported only when its command runs (or its own --help is asked for): the
root's --help lists them from the table below, so `charter --help` loads no connector, SQLAlchemy or
HTTP client.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from charter.cli.context import Local

if TYPE_CHECKING:
    # Recent Typer vendors click; these are the classes its commands are made of.
    from typer._click import Command, Context, HelpFormatter

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


def load_command(name: str) -> Command:
    """The command `name` of LAZY_COMMANDS, its module imported now."""
    module, attribute, _ = LAZY_COMMANDS[name]
    target = getattr(import_module(module), attribute)
    command: Command
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: lists every command, imports one only when it is looked up to run."""

    listing = False

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in LAZY_COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in self.commands or cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        if self.listing:
            # The root's help shows one line per command; a placeholder carries it.
            return TyperCommand(name=cmd_name, help=LAZY_COMMANDS[cmd_name][2])
        self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    name="charter",
    cls=LazyGroup,
    help=(
        "Let AI agents act on your accounts safely: connect services, issue scoped grants to agents, "
        "approve paused calls, read the audit log."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        from charter.cli.output import console

        console.print(f"charter {version('charter')}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="CHARTER_HOME",
            show_envvar=True,
            help="The Charter home (vault, grants, approvals, audit log); default ~/.charter. "
            "Given before or after the subcommand.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, expose_value=False, help="Show the version."
        ),
    ] = False,
) -> None:
    """Charter: scoped grants, human approval and an audit trail for AI agents."""
    ctx.obj = Local(home, create=False)


def command_tree() -> TyperGroup:
    """The whole command tree with every command loaded (for checks that walk it)."""
    group = typer.main.get_group(app)
    for name in LAZY_COMMANDS:
        group.commands.setdefault(name, load_command(name))
    return group


__all__ = ["LAZY_COMMANDS", "app", "command_tree", "load_command"]

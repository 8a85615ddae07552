"""The `charter` command tree: one Typer app, a sub-app per area, and the home it works on.

Each area's module is imported only when its command runs (or its own --help is asked for): the
root's help lists them from `charter.cli.root_help`'s table, so listing them loads no connector,
SQLAlchemy or HTTP client (and a bare `charter --help` is drawn there without Typer at all).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from charter.cli.context import Local
from charter.cli.root_help import HOME_ENV, HOME_HELP, LAZY_COMMANDS, ROOT_HELP, VERSION_HELP

if TYPE_CHECKING:
    # Recent Typer vendors click; these are the classes its commands are made of.
    from typer._click import Command, Context, HelpFormatter


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
    help=ROOT_HELP,
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
            envvar=HOME_ENV,
            show_envvar=True,
            help=HOME_HELP,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, expose_value=False, help=VERSION_HELP
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

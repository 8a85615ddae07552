"""The `charter` command tree: one Typer app, a sub-app per area, and the home it works on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from charter.cli.approvals import approvals_app
from charter.cli.audit import audit_app
from charter.cli.connections import connect_app, connections_app
from charter.cli.console.server import console_command
from charter.cli.context import Local
from charter.cli.demo import demo_command
from charter.cli.doctor import doctor_command
from charter.cli.grants import grant_app
from charter.cli.mcp import mcp_app
from charter.cli.new_connector import new_app
from charter.cli.output import console
from charter.cli.policy import policy_app
from charter.cli.sandbox import sandbox_app

app = typer.Typer(
    name="charter",
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


app.add_typer(connect_app, name="connect")
app.add_typer(connections_app, name="connections")
app.add_typer(grant_app, name="grant")
app.add_typer(approvals_app, name="approvals")
app.add_typer(audit_app, name="audit")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(mcp_app, name="mcp")
app.add_typer(new_app, name="new")
app.add_typer(policy_app, name="policy")
app.command("demo")(demo_command)
app.command("doctor")(doctor_command)
app.command("console")(console_command)

__all__ = ["app"]

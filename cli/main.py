"""The `charter` console script: runs the command tree and turns every failure into one coded line."""

from __future__ import annotations

import os
from collections.abc import Sequence

import typer

from charter.cli.app import app
from charter.cli.output import Cancelled, InternalError, UsageProblem, console, print_error
from charter.schemas import CharterError

# Set to show the traceback of an unexpected error instead of its one-line summary.
DEBUG_ENV = "CHARTER_DEBUG"


def main(argv: Sequence[str] | None = None) -> int:
    """Run `charter` with `argv` (default: the process arguments); returns the exit code."""
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=None if argv is None else list(argv), prog_name="charter", standalone_mode=False
        )
    except CharterError as exc:
        print_error(exc)
        return 1
    except typer.Abort:
        print_error(Cancelled("cancelled; nothing was changed"))
        return 1
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        return _command_line_problem(exc)
    return result if isinstance(result, int) else 0


def _command_line_problem(exc: Exception) -> int:
    # Typer's usage errors are click's (vendored in recent Typer), so they are told apart by shape.
    context = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and context is not None:
        help_text = context.get_help()
        if help_text:
            console.print(help_text, markup=False, highlight=False)
        return 0
    format_message = getattr(exc, "format_message", None)
    if callable(format_message):
        where = getattr(context, "command_path", None) or "charter"
        print_error(UsageProblem(f"{format_message()} (see `{where} --help`)"))
        return 1
    # The text of an unexpected exception may carry anything; its type is enough to report it.
    print_error(
        InternalError(
            f"unexpected {type(exc).__name__}; rerun with {DEBUG_ENV}=1 to see where, and report it"
        )
    )
    return 1


__all__ = ["main"]

"""The `charter` console script: runs the command tree and turns every failure into one coded line."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence

from charter.cli.root_help import asks_for_root_help, print_root_help

# Set to show the traceback of an unexpected error instead of its one-line summary.
DEBUG_ENV = "CHARTER_DEBUG"


def main(argv: Sequence[str] | None = None) -> int:
    """Run `charter` with `argv` (default: the process arguments); returns the exit code."""
    args = hoist_home(list(sys.argv[1:] if argv is None else argv))
    if asks_for_root_help(args):
        # The commonest first command: answered before Typer and its help renderer are imported.
        print_root_help()
        return 0
    quiet_library_logs()
    if not starts_a_server(args):
        return _run(args)
    pause_collector()
    try:
        return _run(args)
    finally:
        if argv is not None:
            # Called in a longer process (a test): the collector is left as it was found. The
            # console script's process ends here, and its frozen objects need no last pass.
            _restore_collector()


# `mcp serve` makes some 150,000 long-lived objects while it starts (the SDK's and Charter's
# models, their schemas): the cyclic collector would walk them again and again, for a tenth of the
# start. It is paused for the start; the server resumes it with those objects frozen out of its passes.
_collector: str | None = None  # None, "paused" or "frozen"


def starts_a_server(args: Sequence[str]) -> bool:
    """Whether `args` (after `hoist_home`) run `charter mcp serve`."""
    start = 0
    while start < len(args) and args[start].startswith("-"):
        start += 2 if args[start] == HOME_OPTION else 1
    return list(args[start : start + 2]) == ["mcp", "serve"]


def pause_collector() -> None:
    """Pause cyclic garbage collection for a server's start (unless it is already off)."""
    global _collector
    if _collector is None and gc.isenabled():
        gc.disable()
        _collector = "paused"


def resume_collector() -> None:
    """Once started: what start-up made is frozen out of the collector's passes, then it runs again."""
    global _collector
    if _collector == "paused":
        gc.freeze()
        gc.enable()
        _collector = "frozen"


def _restore_collector() -> None:
    global _collector
    if _collector == "frozen":
        gc.unfreeze()
    if _collector is not None:
        gc.enable()
    _collector = None


def _run(args: list[str]) -> int:
    import typer

    from charter.cli.app import app
    from charter.cli.output import Cancelled, print_error
    from charter.schemas import CharterError, missing_extra

    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="charter", standalone_mode=False)
    except CharterError as exc:
        print_error(exc)
        return 1
    except typer.Abort:
        print_error(Cancelled("cancelled; nothing was changed"))
        return 1
    except KeyboardInterrupt:
        print_error(Cancelled("interrupted (Ctrl-C)"))
        return 130
    except ImportError as exc:
        # Optional libraries are imported where a command first needs them; one place names the extra.
        missing = missing_extra(exc)
        if missing is None:
            if os.environ.get(DEBUG_ENV):
                raise
            return _command_line_problem(exc)
        print_error(missing)
        return 1
    except Exception as exc:
        if os.environ.get(DEBUG_ENV):
            raise
        return _command_line_problem(exc)
    return result if isinstance(result, int) else 0


def quiet_library_logs() -> None:
    """Charter's log records stay off the terminal: the command reports what matters in its own words.

    Without a handler, Python would print warnings bare on stderr. CHARTER_DEBUG=1 shows them all.
    """
    import logging

    logger = logging.getLogger("charter")
    if os.environ.get(DEBUG_ENV):
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
    elif not logger.handlers:
        logger.addHandler(logging.NullHandler())


HOME_OPTION = "--home"
# Commands with a --home of their own (the demo's throwaway home), left as they are.
OWN_HOME = frozenset({"demo"})


def hoist_home(args: list[str]) -> list[str]:
    """`--home PATH` given after the subcommand, moved before it, where the root option reads it."""
    start = 0
    while start < len(args) and args[start].startswith("-"):
        start += 2 if args[start] == HOME_OPTION else 1
    if start >= len(args) or args[start] in OWN_HOME:
        return args
    moved: list[str] = []
    rest: list[str] = []
    index = start
    while index < len(args):
        token = args[index]
        if token == "--":
            rest.extend(args[index:])
            break
        if token == HOME_OPTION and index + 1 < len(args):
            moved += args[index : index + 2]
            index += 2
            continue
        if token.startswith(HOME_OPTION + "="):
            moved.append(token)
        else:
            rest.append(token)
        index += 1
    return [*args[:start], *moved, *rest]


def _command_line_problem(exc: Exception) -> int:
    from charter.cli.output import InternalError, UsageProblem, console, print_error

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


__all__ = ["hoist_home", "main", "pause_collector", "resume_collector", "starts_a_server"]

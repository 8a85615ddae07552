"""`charter demo`: agents act on GitHub, Gmail and Calendar on embedded sandboxes, a person in the loop."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from charter.cli.context import Local
from charter.cli.demo_github import github_scene
from charter.cli.demo_google import google_scene
from charter.cli.demo_notion import notion_scene
from charter.cli.demo_sharepoint import sharepoint_scene
from charter.cli.narration import DemoFailed, Narrator, indent
from charter.cli.output import UsageProblem, console
from charter.schemas import MissingExtra
from charter.schemas.extras import missing_modules

# Settings a throwaway demo home must not inherit (they point at the person's real Charter).
_ISOLATED_ENV = ("CHARTER_HOME", "CHARTER_DATABASE_URL", "CHARTER_KEY", "CHARTER_GRANT_KEY")


class Scene(StrEnum):
    """Which scenes `charter demo` plays."""

    github = "github"
    google = "google"
    sharepoint = "sharepoint"
    notion = "notion"
    all = "all"


SCENES: dict[Scene, tuple[Callable[[Local, Narrator], None], ...]] = {
    Scene.github: (github_scene,),
    Scene.google: (google_scene,),
    Scene.sharepoint: (sharepoint_scene,),
    Scene.notion: (notion_scene,),
    # Notion plays on its own (`--scene notion`), keeping the whole demo near 30 s.
    Scene.all: (github_scene, google_scene),
}


# The extras each scene needs (its connectors, its sandbox, its consent flow): checked before
# anything plays, so a missing one is named at once, not half-way through a scene. `all` is what
# `make demo` installs (the Makefile's DEMO_EXTRAS; a test keeps the two equal).
SCENE_EXTRAS: dict[Scene, tuple[str, ...]] = {
    Scene.github: ("github",),
    Scene.google: ("google",),
    Scene.sharepoint: ("microsoft",),
    Scene.notion: ("notion",),
    Scene.all: ("github", "google"),
}


def require_extras(scene: Scene) -> None:
    """Raise `MissingExtra` naming the first extra of the scene that is not installed."""
    for extra in SCENE_EXTRAS[scene]:
        missing = missing_modules(extra)
        if missing:
            other = "" if scene is Scene.github else "or watch only GitHub with `charter demo --scene github`"
            raise MissingExtra(extra, missing[0], hint=other)


def demo_command(
    ctx: typer.Context,
    scene: Annotated[
        Scene,
        typer.Option(
            "--scene",
            help="github (an issue triaged), google (mail and calendar), all (both), sharepoint (a document "
            "filed and shared), or notion "
            "(meeting notes to a project page).",
        ),
    ] = Scene.all,
    home: Annotated[
        Path | None, typer.Option("--home", help="Keep the demo's Charter home here (default: a temp dir).")
    ] = None,
    pace: Annotated[
        float | None, typer.Option("--pace", min=0.0, help="Seconds per beat; 0 runs at full speed.")
    ] = None,
    interactive: Annotated[
        bool,
        typer.Option(
            "--interactive",
            "-i",
            help="You approve or deny each paused call at the terminal; without it the demo approves "
            "for Mona.",
        ),
    ] = False,
) -> None:
    """Watch agents triage a GitHub issue and work through Gmail and Calendar (~30 s).

    The demo approves the paused calls itself; with --interactive, you decide each one.
    """
    if interactive and not sys.stdin.isatty():
        raise UsageProblem("--interactive asks you at the terminal; run it in one (stdin is not a terminal)")
    beat = pace if pace is not None else (0.5 if sys.stdout.isatty() else 0.0)
    require_extras(scene)
    with _demo_home(home or _home_given(ctx)) as path:
        run_demo(Local(path), Narrator(beat, interactive=interactive), scene)


def _home_given(ctx: typer.Context) -> Path | None:
    """`charter --home PATH demo`: the root's --home when typed, never $CHARTER_HOME (the real home)."""
    root = ctx.find_root()
    source = root.get_parameter_source("home")
    given = root.params.get("home")
    return Path(given) if given is not None and source is not None and source.name == "COMMANDLINE" else None


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


def command_name() -> str:
    """How the person can run `charter` from here: plainly when on PATH, else by its path (`.venv/bin`)."""
    running = Path(sys.argv[0])
    if running.name != "charter" or not running.exists():
        return "charter"
    found = shutil.which("charter")
    if found and Path(found).resolve() == running.resolve():
        return "charter"
    return os.path.relpath(running)


def run_demo(here: Local, narrator: Narrator, scene: Scene = Scene.all) -> None:
    """The chosen scenes, each against its sandbox started in this process, in one Charter home."""
    console.print("[bold]Charter demo[/]: agents act on Mona's accounts; Mona stays in control.")
    indent(f"Charter home: {here.path} (one vault, one audit chain for every scene)", 2)
    for play in SCENES[scene]:
        play(here, narrator)
    console.print()
    console.print("[bold]Try next[/]")
    charter = command_name()
    if charter != "charter":
        where = Path(charter).parent
        indent(f"charter is not on your PATH: run `source {where}/activate` first, or type {charter}", 2)
    indent(f"{charter} --help", 2)
    indent("    every command; `charter sandbox up` to explore by hand", 2)
    indent(f"{charter} demo --interactive", 2)
    indent("    the same demo, where you approve or deny each paused call", 2)
    indent("README.md              the 5-minute tour: grants, policy, approvals, audit", 2)
    indent("docs/                  the security model; writing and testing a connector", 2)


__all__ = ["DemoFailed", "Scene", "demo_command", "run_demo"]

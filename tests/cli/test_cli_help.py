"""Every `charter` command answers --help."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from charter.cli.app import command_tree
from charter.cli.main import main

if TYPE_CHECKING:
    from conftest import Run


def _paths(command: object, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    # Recent Typer vendors click, so groups are recognised by their subcommands, not by class.
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*prefix, name))


PATHS = sorted(_paths(command_tree()))


def test_the_command_tree_has_every_documented_command() -> None:
    expected = {
        ("connect", "github"),
        ("connections", "list"),
        ("connections", "revoke"),
        ("grant", "create"),
        ("grant", "list"),
        ("grant", "revoke"),
        ("grant", "attenuate"),
        ("approvals", "list"),
        ("approvals", "approve"),
        ("approvals", "deny"),
        ("audit", "tail"),
        ("audit", "verify"),
        ("sandbox", "up"),
        ("demo",),
    }
    assert expected <= set(PATHS)


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "charter")
def test_every_command_has_help(run: Run, path: tuple[str, ...]) -> None:
    ran = run(*path, "--help")
    assert ran.code == 0, ran.err
    assert "Usage: charter" in ran.text
    assert ran.err == ""


def test_charter_without_arguments_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "Usage: charter" in out
    assert "approvals" in out

"""The suite's own figures reach the terminal when tests run in parallel workers too.

Some conftests print figures in the terminal summary (fuzzing, injection containment). A worker
process has no terminal: it records what those summaries would print and hands it to the controller,
which prints it. The suite runs with `--dist loadfile`: a figure is fed by one test file, so one
worker holds all of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).parent
RECORDED = "charter_summaries"
PRINTED = pytest.StashKey[list[tuple[str, str]]]()


class _Recorder:
    """Stands in for the terminal reporter in a worker: keeps sections and lines, in order."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def section(self, title: str, *_: Any, **__: Any) -> None:
        self.lines.append(("section", title))

    def write_line(self, line: str, *_: Any, **__: Any) -> None:
        self.lines.append(("line", line))


def record_in_worker(config: pytest.Config, skip: object) -> None:
    """In a worker, run the conftests' summaries into a recorder and send what they wrote."""
    output = getattr(config, "workeroutput", None)
    if output is None:
        return
    recorder = _Recorder()
    for plugin in config.pluginmanager.get_plugins():
        summary = getattr(plugin, "pytest_terminal_summary", None)
        source = Path(getattr(plugin, "__file__", None) or "/")
        if summary is None or summary is skip or TESTS not in source.parents:
            continue
        summary(terminalreporter=recorder, config=config)
    output[RECORDED] = recorder.lines


def receive_from_worker(node: Any) -> None:
    # A worker that crashed sends nothing; its tests are reported failed by xdist itself.
    sent = getattr(node, "workeroutput", {})
    node.config.stash.setdefault(PRINTED, []).extend(sent.get(RECORDED, []))


def print_received(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    for kind, text in config.stash.get(PRINTED, []):
        if kind == "section":
            terminalreporter.section(text)
        else:
            terminalreporter.write_line(text)

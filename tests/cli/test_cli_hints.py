"""Every `charter …` line Charter prints as a hint, or its docs show, names real commands and options."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from charter.cli.app import command_tree

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("cli", "auth", "agents", "connectors", "sandboxes", "docs")
SOURCES = [*(ROOT / d for d in FOLDERS), ROOT / "README.md"]
# `charter connect github` inside backticks, in code strings and in Markdown alike.
HINT = re.compile(r"`(charter [^`{}\n]+)`")
TREE = command_tree()
SHELL = {"<", ">", "|", "&&", ";"}
PLACEHOLDER = re.compile(r"<[\w-]+>|X")


def hints() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for source in SOURCES:
        files = [source] if source.is_file() else sorted([*source.rglob("*.py"), *source.rglob("*.md")])
        for file in files:
            for match in HINT.finditer(file.read_text()):
                found.append((str(file.relative_to(ROOT)), match.group(1)))
    return found


def variants(line: str) -> list[list[str]]:
    """The command lines a documented synopsis stands for: `[a|b]` gives one line per choice."""
    text = line.replace("\\|", "|").replace("…", "X").replace("[", " ").replace("]", " ")
    words = shlex.split(text)[1:]
    for index, word in enumerate(words):
        if word in SHELL:
            words = words[:index]
            break
    choices = [w.split("|") if "|" in w else [w] for w in words]
    return [list(v) for v in itertools.product(*choices)]


def problems(line: str) -> list[str]:
    """What is wrong with a command line, checked against the real command tree (nothing runs)."""
    return [p for words in variants(line) for p in _check(words)]


def _check(words: list[str]) -> list[str]:
    command: Any = TREE
    params = {o: p for p in TREE.params for o in p.opts}
    positional, out, skip = 0, [], False
    for word in words:
        if skip:
            skip = False
            continue
        if word.startswith("-") and word != "-":
            param = params.get(word.split("=", 1)[0])
            if param is None and word not in ("--help", "-h"):
                out.append(f"{word} is not an option of `{command.name}`")
            skip = param is not None and not getattr(param, "is_flag", False) and "=" not in word
            continue
        if PLACEHOLDER.fullmatch(word):
            break  # `charter connect <service>`, `charter grant create …`: the rest is elided
        subcommands = getattr(command, "commands", None)
        if subcommands and positional == 0 and word in subcommands:
            command = subcommands[word]
            params |= {o: p for p in command.params for o in p.opts}
            continue
        if subcommands and not command.params and positional == 0:
            out.append(f"`{command.name}` has no subcommand {word!r}")
            continue
        arguments = [p for p in command.params if p.param_type_name == "argument"]
        room = sum(float("inf") if a.nargs == -1 else a.nargs for a in arguments)
        positional += 1
        if positional > room:
            out.append(f"`{command.name}` takes no argument {word!r}")
    return out


HINTS = hints()


def test_hints_are_found_and_checked() -> None:
    assert len(HINTS) > 20
    assert problems("charter sandbox up google") == ["`up` takes no argument 'google'"]  # controls
    assert problems("charter connect github --sandboxx") == ["--sandboxx is not an option of `github`"]
    assert problems("charter grant nuke") == ["`grant` has no subcommand 'nuke'"]


@pytest.mark.parametrize(("where", "line"), HINTS, ids=[f"{w}: {h}" for w, h in HINTS])
def test_every_hint_is_a_real_command(where: str, line: str) -> None:
    assert problems(line) == []

"""Every code block of docs/connector-authors.md runs, or is checked against the file it quotes.

A block may be preceded by one marker line:
- `<!-- module: NAME -->`: the Python block is the module NAME (later blocks' entry points name it);
- `<!-- excerpt: PATH -->`: the block is, line for line, a part of PATH (`...` lines stand for lines
  left out), a file that runs elsewhere in the suite;
- `<!-- not run: REASON -->`: the block is not run (a real account); kept rare.
Unmarked Python blocks are executed, TOML blocks parsed and their entry points loaded, and each
`$ pytest ...` line of a console block collects at least one test (the suites it selects run in
their own test modules).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
import types
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from charter.auth.providers import GROUP as PROVIDER_GROUP
from charter.auth.providers import Provider
from charter.connectors import Connector
from charter.connectors.registry import GROUP as CONNECTOR_GROUP
from charter.contract_tests.harness import ContractHarness
from charter.contract_tests.selection import GROUP as HARNESS_GROUP

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "connector-authors.md"
MARKER = re.compile(r"<!-- (module|excerpt|not run): (.+?) -->")
KINDS: dict[str, type | None] = {
    CONNECTOR_GROUP: Connector,
    PROVIDER_GROUP: None,
    HARNESS_GROUP: ContractHarness,
}


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    code: str
    marker: str = ""
    argument: str = ""

    @property
    def id(self) -> str:
        return f"line{self.line}-{self.lang}"


def blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, each with the marker on the line before its fence."""
    found: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("```"):
            end = lines.index("```", i + 1)
            marker = MARKER.fullmatch(lines[i - 1].strip()) if i else None
            kind, argument = marker.groups() if marker else ("", "")
            code = "\n".join(lines[i + 1 : end]) + "\n"
            found.append(Block(i + 1, lines[i][3:].strip(), code, kind, argument))
            i = end
        i += 1
    return found


GUIDE_BLOCKS = blocks(GUIDE.read_text())


def _of(lang: str, marker: str = "") -> list[Block]:
    return [b for b in GUIDE_BLOCKS if b.lang == lang and b.marker == marker]


@pytest.fixture
def guide_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guide's `module:` blocks, importable by their names for the rest of the test."""
    for block in _of("python", "module"):
        module = types.ModuleType(block.argument)
        monkeypatch.setitem(sys.modules, block.argument, module)
        exec(compile(block.code, f"{GUIDE.name}:{block.line}", "exec"), module.__dict__)


def test_every_block_is_of_a_kind_this_test_runs() -> None:
    runnable = {("python", ""), ("python", "module"), ("python", "excerpt"), ("toml", ""), ("console", "")}
    odd = [b.id for b in GUIDE_BLOCKS if (b.lang, b.marker) not in runnable and b.marker != "not run"]
    assert odd == []
    assert len([b for b in GUIDE_BLOCKS if b.marker == "not run"]) <= 1


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("block", _of("python"), ids=lambda b: b.id)
def test_python_block_runs(block: Block) -> None:
    namespace: dict[str, object] = {"__name__": f"guide_line{block.line}"}
    exec(compile(block.code, f"{GUIDE.name}:{block.line}", "exec"), namespace)


def test_the_hello_world_connector_declares_its_action(guide_modules: None) -> None:
    echo = sys.modules["charter_echo"]
    connector: type[Connector] = echo.EchoConnector  # type: ignore[attr-defined]
    assert connector.actions["say"].verb == "read"
    assert connector.actions["say"].description == "Repeat a text back, as the echo service would."


@pytest.mark.parametrize("block", _of("python", "excerpt"), ids=lambda b: b.id)
def test_excerpt_is_part_of_the_file_it_quotes(block: Block) -> None:
    source = (ROOT / block.argument).read_text()
    position = 0
    for chunk in re.split(r"^[ \t]*\.\.\.\n", block.code, flags=re.MULTILINE):
        found = source.find(chunk, position)
        assert found >= 0, f"not in {block.argument} (after offset {position}):\n{chunk}"
        position = found + len(chunk)


@pytest.mark.usefixtures("guide_modules")
@pytest.mark.parametrize("block", _of("toml"), ids=lambda b: b.id)
def test_toml_block_names_entry_points_charter_loads(block: Block) -> None:
    groups = tomllib.loads(block.code)["project"]["entry-points"]
    assert groups
    for group, points in groups.items():
        assert group in KINDS, f"{group} is not an entry-point group Charter reads"
        for name, value in points.items():
            loaded = EntryPoint(name, value, group).load()
            kind = KINDS[group]
            if kind is None:
                assert isinstance(loaded, Provider), value
                assert loaded.name == name
            else:
                assert isinstance(loaded, type), value
                assert issubclass(loaded, kind), value


@pytest.mark.parametrize(
    "command",
    [line[2:] for b in _of("console") for line in b.code.splitlines() if line.startswith("$ ")],
)
def test_console_command_selects_tests(command: str, tmp_path: Path) -> None:
    program, *args = shlex.split(command)
    assert program == "pytest", f"{command!r}: only pytest commands run here; mark the block `not run`"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_LIVE_")}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    collected = re.search(r"(\d+)(?:/\d+)? tests? (?:collected|selected)", run.stdout)
    assert collected, run.stdout
    assert int(collected.group(1)) > 0, run.stdout

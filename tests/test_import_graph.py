"""docs/import-graph.md is the graph of charter's real imports, and import-linter enforces its arrows.

Regenerate the document with `.venv/bin/python tests/test_import_graph.py` after moving imports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "import-graph.md"
# The folders in the order of the arrows, lowest first; each maps to charter.<folder>.
PACKAGES = ("schemas", "auth", "connectors", "agents", "cli", "sandboxes", "contract_tests")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

HEADER = """# Import graph

Generated from the imports in the code by `tests/test_import_graph.py` (which fails when this file
is out of date; run `python tests/test_import_graph.py` to write it again). Each folder is the
package `charter.<folder>` (see the README's layout section). An arrow `a --> b` means some module
of `charter.a` imports a module of `charter.b` (imports for type checking included). `make lint`
runs import-linter, whose contracts in pyproject.toml keep these arrows one way.
"""


def package_imports() -> set[tuple[str, str]]:
    """Each (importer, imported) pair of charter packages, by folder name."""
    graph = grimp.build_graph(*(f"charter.{p}" for p in PACKAGES), cache_dir=None)
    edges: set[tuple[str, str]] = set()
    for importer in graph.modules:
        source = importer.split(".")[1]
        for imported in graph.find_modules_directly_imported_by(importer):
            target = imported.split(".")[1]
            if target != source:
                edges.add((source, target))
    return edges


def render(edges: set[tuple[str, str]]) -> str:
    order = {p: i for i, p in enumerate(PACKAGES)}
    lines = ["```mermaid", "flowchart BT"]
    lines += [f"    {p}[charter.{p}]" for p in PACKAGES]
    for source, target in sorted(edges, key=lambda e: (order[e[0]], order[e[1]])):
        lines.append(f"    {source} --> {target}")
    return HEADER + "\n" + "\n".join([*lines, "```"]) + "\n"


def test_the_import_graph_in_the_docs_is_up_to_date() -> None:
    assert DOC.read_text() == render(package_imports()), "run: python tests/test_import_graph.py"


def test_the_graph_has_no_arrow_against_the_layers() -> None:
    edges = package_imports()
    layers = PACKAGES[:5]
    rank = {p: i for i, p in enumerate(layers)}
    upward = [(a, b) for a, b in edges if a in rank and b in rank and rank[b] > rank[a]]
    assert upward == []
    assert {target for source, target in edges if source == "sandboxes"} <= {"schemas"}


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [str(LINT_IMPORTS), "--no-cache", "--config", str(ROOT / "pyproject.toml")]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_lint_imports_refuses_an_arrow_against_the_layers(tmp_path: Path) -> None:
    # A copy of the package (`make lint` checks the real one) where schemas imports the agent layer
    # and a sandbox imports a connector: both contracts must break.
    charter = tmp_path / "charter"
    for package in PACKAGES:
        shutil.copytree(ROOT / package, charter / package, ignore=shutil.ignore_patterns("__pycache__"))
    (charter / "schemas" / "upward.py").write_text("import charter.agents.toolkit\n")
    (charter / "sandboxes" / "peek.py").write_text("from charter.connectors import base\n")
    broken = _lint_imports(tmp_path)
    assert broken.returncode != 0
    assert "schemas <- auth <- connectors <- agents <- cli BROKEN" in broken.stdout
    assert "charter.schemas.upward -> charter.agents.toolkit" in broken.stdout
    assert "sandboxes emulate third parties: they import schemas at most BROKEN" in broken.stdout


if __name__ == "__main__":
    DOC.write_text(render(package_imports()))
    print(f"wrote {DOC.relative_to(ROOT)}")

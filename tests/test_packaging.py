"""The layout the client fixed: every folder imports as charter.<folder>, and only so."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = ("schemas", "auth", "connectors", "agents", "sandboxes", "cli", "contract_tests")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _package_folders() -> list[str]:
    found = []
    for top in PACKAGE_DIRS:
        for init in sorted((ROOT / top).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT)
            found.append("charter." + ".".join(rel.parts))
    return found


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    missing = sorted(set(_package_folders()) - listed)
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


@pytest.mark.parametrize("module", _package_folders())
def test_package_imports_under_the_charter_namespace(module: str) -> None:
    importlib.import_module(module)


def test_no_source_file_imports_a_folder_bare() -> None:
    offenders = []
    for top in (*PACKAGE_DIRS, "tests", "benchmarks"):
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                offenders += [
                    f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in PACKAGE_DIRS
                ]
    assert not offenders, f"import these as charter.<folder>: {offenders}"


def test_bare_import_is_impossible_from_an_installed_environment(tmp_path: Path) -> None:
    # Run from an unrelated folder, as a user of the package would: only charter.* exists.
    code = (
        "import importlib.util as u; "
        "print(u.find_spec('auth') is None, u.find_spec('charter.auth') is not None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "True"]


def test_builtin_connectors_are_registered_by_entry_point() -> None:
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="charter.connectors")}
    assert "github" in names


def test_every_optional_library_is_mapped_to_the_extra_that_installs_it() -> None:
    import importlib.util
    import re
    from importlib.metadata import distribution, packages_distributions

    from charter.schemas import EXTRA_MODULES

    per_extra: dict[str, set[str]] = {}
    for line in distribution("charter").metadata.get_all("Requires-Dist") or []:
        found = re.match(r"([A-Za-z0-9_.-]+).*;\s*extra\s*==\s*['\"]([a-z-]+)['\"]", line)
        if found:
            per_extra.setdefault(found.group(2), set()).add(found.group(1).lower())
    modules_of: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(dist.lower(), set()).add(module)
    # General-purpose libraries an extra also pins; a feature never fails on them alone.
    general = {"requests"}
    for extra in (
        *("github", "google", "microsoft", "notion", "mcp", "langchain", "openai-agents", "pydantic-ai"),
        *("otel", "postgres"),
    ):
        for dist in per_extra[extra] - general:
            tops = modules_of[dist]
            assert any(key.split(".")[0] in tops and EXTRA_MODULES[key] == extra for key in EXTRA_MODULES), (
                f"{dist} ({extra} extra) has no module in EXTRA_MODULES"
            )
    for module in EXTRA_MODULES:
        assert importlib.util.find_spec(module) is not None, f"{module} is not importable with every extra"

"""Mutation testing of the modules that carry the promises: `make mutate`, or with module paths
(`python tests/mutation.py auth/attenuation.py`) to run only those.

mutmut derives module names from file paths, and the folders map into `charter.*` only through
setuptools' package-dir, so the run happens on a copy laid out as `charter/<folder>/` under
.cache/mutate. Modules are mutated one run at a time: mutmut's set-up check fails any test run when
a trampolined function runs at import time, and the connector base's `@action` does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE = ROOT / ".cache" / "mutate"
PACKAGE_DIRS = ("schemas", "auth", "connectors", "agents", "sandboxes", "cli", "contract_tests")
PROMISES = (
    "auth/grants.py",
    "auth/grant_tokens.py",
    "auth/attenuation.py",
    "auth/policy.py",
    "agents/approvals.py",
    "auth/audit.py",
    "auth/vault.py",
    "agents/toolkit.py",
    "connectors/base.py",
)
TESTS = ("tests/auth", "tests/agents", "tests/connectors")


def lay_out_tree(module: str) -> None:
    """A fresh copy under .cache/mutate whose pyproject tells mutmut to mutate `module` only."""
    shutil.rmtree(TREE, ignore_errors=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in PACKAGE_DIRS:
        shutil.copytree(ROOT / folder, TREE / "charter" / folder, ignore=skip)
    for folder in ("tests", "docs", "benchmarks"):
        shutil.copytree(ROOT / folder, TREE / folder, ignore=skip)
    shutil.copy(ROOT / "README.md", TREE / "README.md")
    config = [
        "[tool.mutmut]",
        'source_paths = ["charter"]',
        f'only_mutate = ["charter/{module}"]',
        'also_copy = ["README.md", "docs", "benchmarks"]',
        f"pytest_add_cli_args_test_selection = {json.dumps(list(TESTS))}",
    ]
    (TREE / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text() + "\n" + "\n".join(config) + "\n"
    )


def mutate(module: str) -> dict[str, int]:
    """Run mutmut over one module; its counts by outcome."""
    lay_out_tree(module)
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    subprocess.run([mutmut, "run"], cwd=TREE, check=True)
    subprocess.run([mutmut, "export-cicd-stats"], cwd=TREE, check=True)
    stats: dict[str, int] = json.loads((TREE / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = subprocess.run([mutmut, "results"], cwd=TREE, capture_output=True, text=True, check=True)
    (ROOT / ".cache" / f"mutants-{module.replace('/', '.')}.txt").write_text(survivors.stdout)
    return stats


def main(modules: list[str]) -> None:
    lines = []
    for module in modules or PROMISES:
        stats = mutate(module)
        killed, total = stats.get("killed", 0), stats.get("total", 0)
        score = 100 * killed / total if total else 0.0
        lines.append(f"{module}: {killed}/{total} killed ({score:.0f}%), {stats.get('survived', 0)} survived")
        lines.append(f"  survivors in .cache/mutants-{module.replace('/', '.')}.txt")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])

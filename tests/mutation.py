"""Mutation testing of the modules that carry the promises: `make mutate`, or with module paths
(`python tests/mutation.py auth/attenuation.py`) to run only those.

mutmut derives module names from file paths, and the folders map into `charter.*` only through
setuptools' package-dir, so the run happens on a copy laid out as `charter/<folder>/` under
.cache/mutate, with mutmut's settings written into that copy's pyproject.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
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
)
# `@action` and the class checks run while test modules import, which fails mutmut's set-up check
# (a forced failure must fail tests, not their collection): the connector base is not run yet.
NOT_RUNNABLE = ("connectors/base.py",)
TESTS = ("tests/auth", "tests/agents", "tests/connectors")
REPORT = ROOT / ".cache" / "mutants-not-killed.txt"


def lay_out_tree(modules: Sequence[str]) -> None:
    """A fresh copy under .cache/mutate whose pyproject tells mutmut to mutate `modules` only."""
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
        f"only_mutate = {json.dumps([f'charter/{m}' for m in modules])}",
        'also_copy = ["README.md", "docs", "benchmarks"]',
        f"pytest_add_cli_args_test_selection = {json.dumps(list(TESTS))}",
    ]
    (TREE / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text() + "\n" + "\n".join(config) + "\n"
    )


def module_of(mutant: str) -> str:
    """`charter.auth.grants.xǁGrantAuthorityǁissue__mutmut_3` -> `auth/grants.py`."""
    parts = mutant.split(".")
    cut = next(i for i, part in enumerate(parts) if part.startswith(("x_", "xǁ")))
    return "/".join(parts[1:cut]) + ".py"


def mutate(modules: Sequence[str]) -> dict[str, Counter[str]]:
    """Run mutmut over `modules` at once; each module's mutants counted by outcome."""
    lay_out_tree(modules)
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    subprocess.run([mutmut, "run"], cwd=TREE, check=True)
    listing = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=TREE, capture_output=True, text=True, check=True
    ).stdout
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    survivors = []
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name.startswith("charter."):
            outcomes[module_of(name)][status] += 1
            if status != "killed":
                survivors.append(line.strip())
    REPORT.write_text("\n".join(survivors) + "\n")
    return outcomes


def main(modules: list[str]) -> None:
    for module, counts in sorted(mutate(modules or PROMISES).items()):
        total, killed = sum(counts.values()), counts["killed"]
        others = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()) if status != "killed")
        score = f"{module}: {killed}/{total} killed ({100 * killed / total:.0f}%)"
        print(f"{score}; {others}" if others else score)
    print(f"mutants not killed: {REPORT.relative_to(ROOT)} (mutmut show NAME in {TREE.relative_to(ROOT)})")


if __name__ == "__main__":
    main(sys.argv[1:])

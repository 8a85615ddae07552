"""Mutation testing of the modules that carry the promises: `make mutate`, or with module paths
(`python tests/mutation.py auth/attenuation.py`) to run only those; `--survivors` re-runs only the
mutants the last full run of each module did not kill, against the tests as they are now,
`--only PATTERN` re-measures the mutants of functions that changed since (e.g.
`'charter.auth.audit.x__commit*'`), and `--resume` carries a stopped full run on in its tree.

mutmut derives module names from file paths, and the folders map into `charter.*` only through
setuptools' package-dir, so each module runs on its own copy laid out as `charter/<folder>/` under
.cache/mutate/<module>, with mutmut's settings written into that copy's pyproject. Each module runs
against the tests that state its promises, not every suite that imports it (mutmut then runs, for
each mutant, only those of them that call the mutated function), on SQLite unless
CHARTER_TEST_DATABASES says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache"
PACKAGE_DIRS = ("schemas", "auth", "connectors", "agents", "sandboxes", "cli", "contract_tests")
# Each module and the tests that state its promises; a `test_<name>_mutants.py` beside them is
# added when it exists. The order is the order `make mutate` runs them in.
SELECTIONS: dict[str, tuple[str, ...]] = {
    "auth/attenuation.py": ("tests/auth/test_grants.py", "tests/auth/test_agent_chain.py"),
    "auth/grant_tokens.py": ("tests/auth/test_grant_tokens.py", "tests/auth/test_grants.py"),
    "auth/grants.py": (
        "tests/auth/test_grants.py",
        "tests/auth/test_grant_tokens.py",
        "tests/auth/test_agent_chain.py",
        "tests/auth/test_vocabulary.py",
    ),
    "agents/approvals.py": (
        "tests/agents/test_approvals.py",
        "tests/agents/test_approvals_verified.py",
        "tests/agents/test_passkey_proof.py",
        "tests/agents/test_toolkit.py",
        "tests/agents/test_toolkit_exactly_once.py",
    ),
    "auth/vault.py": ("tests/auth/test_vault.py", "tests/auth/test_refresh_single_flight.py"),
    "auth/audit.py": (
        "tests/auth/test_audit.py",
        "tests/auth/test_audit_tamper.py",
        "tests/auth/test_audit_sinks.py",
        "tests/auth/test_audit_group.py",
        "tests/auth/test_audit_durable.py",
    ),
    "auth/policy.py": (
        "tests/auth/test_policy.py",
        "tests/auth/test_policy_conditions.py",
        "tests/auth/test_policy_packs.py",
        "tests/auth/test_policy_reach.py",
        "tests/auth/test_policy_recipients.py",
        "tests/agents/test_toolkit_policy_conditions.py",
    ),
    "agents/toolkit.py": (
        "tests/agents/test_toolkit.py",
        "tests/agents/test_toolkit_exactly_once.py",
        "tests/agents/test_toolkit_policy_conditions.py",
        "tests/agents/test_intake.py",
        "tests/agents/test_replay.py",
        "tests/agents/test_drafts.py",
    ),
    "connectors/base.py": (
        "tests/connectors/test_base.py",
        "tests/connectors/test_reach.py",
        "tests/connectors/test_registry.py",
        "tests/connectors/test_paging.py",
        "tests/connectors/test_writes_exactly_once.py",
    ),
}
# Outcomes that are not survivors: killed, and not yet run (a stopped run leaves those).
UNTOLD = ("killed", "not checked")


def slug(module: str) -> str:
    """`auth/grants.py` -> `auth-grants`: the module's folder under .cache/mutate."""
    return module.removesuffix(".py").replace("/", "-")


def tree_of(module: str) -> Path:
    return CACHE / "mutate" / slug(module)


def outcomes_file(module: str) -> Path:
    """Every mutant of the module's last full run and its outcome, as JSON."""
    return CACHE / "mutants" / f"{slug(module)}.json"


def selection(module: str) -> list[str]:
    """The module's tests, with its `_mutants` file when there is one."""
    folder, _, name = module.removesuffix(".py").rpartition("/")
    extra = f"tests/{folder}/test_{name}_mutants.py"
    return [*SELECTIONS[module], *([extra] if (ROOT / extra).exists() else [])]


def lay_out_tree(module: str) -> Path:
    """A fresh copy whose pyproject tells mutmut to mutate `module` against its selection only."""
    tree = tree_of(module)
    shutil.rmtree(tree, ignore_errors=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in PACKAGE_DIRS:
        shutil.copytree(ROOT / folder, tree / "charter" / folder, ignore=skip)
    for folder in ("tests", "docs", "benchmarks"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=skip)
    shutil.copy(ROOT / "README.md", tree / "README.md")
    config = [
        "[tool.mutmut]",
        'source_paths = ["charter"]',
        f"only_mutate = {json.dumps([f'charter/{module}'])}",
        'also_copy = ["README.md", "docs", "benchmarks"]',
        f"pytest_add_cli_args_test_selection = {json.dumps(selection(module))}",
    ]
    (tree / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text() + "\n" + "\n".join(config) + "\n"
    )
    return tree


def run_mutmut(
    module: str, names: Sequence[str], max_children: int, *, resume: bool = False
) -> dict[str, str]:
    """Run mutmut on a fresh tree (all mutants, or only `names`), or on to the end of a stopped
    run's tree with `resume` (what it measured is kept); each mutant's outcome."""
    tree = tree_of(module) if resume else lay_out_tree(module)
    if resume and not (tree / "mutants").is_dir():
        raise SystemExit(f"no run of {module} to resume: run it first")
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    env = os.environ | {"CHARTER_TEST_DATABASES": os.environ.get("CHARTER_TEST_DATABASES", "sqlite")}
    run = subprocess.run([mutmut, "run", "--max-children", str(max_children), *names], cwd=tree, env=env)
    if run.returncode != 0:  # stopped, or its set-up failed: what it measured is still reported
        print(f"mutmut run stopped (exit {run.returncode}) in {tree}", flush=True)
    listing = subprocess.run(
        [mutmut, "results", "--all", "true"], cwd=tree, env=env, capture_output=True, text=True, check=True
    ).stdout
    outcomes = {}
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name.startswith("charter."):
            outcomes[name] = status
    return outcomes


def full_run(module: str, max_children: int, *, resume: bool = False) -> str:
    """Every mutant of `module`; the outcomes are kept for a later `--survivors` run."""
    outcomes = run_mutmut(module, (), max_children, resume=resume)
    outcomes_file(module).parent.mkdir(parents=True, exist_ok=True)
    outcomes_file(module).write_text(json.dumps(outcomes, indent=1, sort_keys=True) + "\n")
    return score(module, outcomes)


def score(module: str, outcomes: dict[str, str], note: str = "") -> str:
    """The module's score over `outcomes`, and the names not killed."""
    counts = Counter(outcomes.values())
    total, killed = len(outcomes) - counts["not checked"], counts["killed"]
    if not total:
        raise SystemExit(f"no mutant of {module} was run")
    others = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()) if status != "killed")
    line = f"{module}: {killed}/{total} killed ({100 * killed / total:.0f}%)" + (f", {note}" if note else "")
    not_killed = sorted(name for name, status in outcomes.items() if status not in UNTOLD)
    return "\n".join([f"{line}; {others}" if others else line, *(f"  {name}" for name in not_killed)])


def survivors_run(module: str, max_children: int) -> str:
    """Re-run the mutants the last full run did not kill; the score counting those now killed."""
    before = json.loads(outcomes_file(module).read_text())
    total = sum(status != "not checked" for status in before.values())
    killed = sum(status == "killed" for status in before.values())
    names = sorted(name for name, status in before.items() if status not in UNTOLD)
    if not names:
        return f"{module}: {killed}/{total} killed, no survivors to re-run"
    now = run_mutmut(module, names, max_children)
    still = sorted(name for name in names if now.get(name) != "killed")
    lines = [
        f"{module}: {killed}/{total} killed before, {len(names) - len(still)} of {len(names)} "
        f"survivors killed now: {killed + len(names) - len(still)}/{total} "
        f"({100 * (killed + len(names) - len(still)) / total:.0f}%)",
        *(f"  not killed: {name}: {now.get(name, 'not run')}" for name in still),
    ]
    return "\n".join(lines)


def functions_run(module: str, patterns: Sequence[str], max_children: int) -> str:
    """Re-measure the mutants matching `patterns` (functions that changed since the last full run):
    their old outcomes are replaced by the new ones in the module's outcomes, and its score given."""
    if not outcomes_file(module).exists():
        raise SystemExit(f"no full run of {module} to re-measure against: run it first")
    known = json.loads(outcomes_file(module).read_text())
    now = run_mutmut(module, patterns, max_children)
    matched = {name: status for name, status in now.items() if any(fnmatch(name, p) for p in patterns)}
    kept = {name: status for name, status in known.items() if not any(fnmatch(name, p) for p in patterns)}
    outcomes = kept | matched
    outcomes_file(module).parent.mkdir(parents=True, exist_ok=True)
    outcomes_file(module).write_text(json.dumps(outcomes, indent=1, sort_keys=True) + "\n")
    return score(module, outcomes, f"{len(matched)} re-measured")


def main(argv: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module paths, e.g. auth/grants.py (default: all)")
    parser.add_argument("--survivors", action="store_true", help="re-run only the last run's survivors")
    parser.add_argument("--resume", action="store_true", help="carry a stopped full run on in place")
    parser.add_argument(
        "--only", action="append", default=[], metavar="PATTERN", help="re-measure matching mutants only"
    )
    parser.add_argument("--max-children", type=int, default=2, help="mutants run at once (default 2)")
    args = parser.parse_args(argv)
    modules = args.modules or list(SELECTIONS)
    unknown = [m for m in modules if m not in SELECTIONS]
    if unknown:
        parser.error(f"no test selection for {', '.join(unknown)}; known: {', '.join(SELECTIONS)}")
    reports = []
    for module in modules:
        if args.only:
            reports.append(functions_run(module, args.only, args.max_children))
        elif args.survivors:
            reports.append(survivors_run(module, args.max_children))
        else:
            reports.append(full_run(module, args.max_children, resume=args.resume))
        print(reports[-1], flush=True)
    print("\n".join(["", "summary:", *reports]))
    print(f"show one mutant: cd {tree_of(modules[-1]).relative_to(ROOT)} && mutmut show NAME")


if __name__ == "__main__":
    main(sys.argv[1:])

"""The pytest plugin: light to load, and `--charter-connector NAME` runs a registered harness."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The notes harness is registered by the shipped example package, installed as an author would.
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    env = dict(os.environ)
    env.pop("CHARTER_LIVE_NOTES_TOKEN", None)
    command = [sys.executable, "-m", "pytest", "-v", "-rs", "-p", "no:cacheprovider", *args]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_charter_connector_option_runs_the_registered_harness(tmp_path: Path) -> None:
    run = _pytest(tmp_path, "--charter-connector", "notes")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "test_own.py::test_own PASSED" in run.stdout
    assert (
        "TestNotesConnectorContract::test_commit_is_exactly_once_after_a_5xx[sandbox-create_note] PASSED"
        in (run.stdout)
    )
    assert "set CHARTER_LIVE_NOTES_TOKEN" in run.stdout


def test_an_unknown_connector_name_lists_the_registered_ones(tmp_path: Path) -> None:
    run = _pytest(tmp_path, "--charter-connector", "nope")
    assert run.returncode != 0
    assert "no contract harness 'nope'" in run.stderr
    assert "registered: " in run.stderr
    assert "notes" in run.stderr.split("registered: ")[1]


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, charter.contract_tests.plugin\n"
        "heavy = [m for m in ('pydantic', 'github', 'charter.connectors', 'charter.contract_tests.suite')"
        " if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

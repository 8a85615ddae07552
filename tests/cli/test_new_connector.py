"""`charter new connector NAME`: a package whose contract suite passes as generated, or a typed refusal.

The scaffold is installed with `pip --target` into a throwaway folder that only a child pytest
sees, so its entry points never join the connector registry of this run.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path, PurePosixPath

import pytest

from charter.cli.main import main
from charter.cli.new_connector import ConnectorNameRefused, check_name, render, scaffold
from charter.connectors import registry

NAME = "acme_crm"
RUFF = Path(sys.executable).with_name("ruff")
MYPY = Path(sys.executable).with_name("mypy")
ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = ("schemas", "auth", "connectors", "agents", "sandboxes", "cli", "contract_tests")


@dataclass(frozen=True)
class Installed:
    package: Path
    site: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The scaffold for NAME, built and installed (not editable) into a folder of its own."""
    tmp = tmp_path_factory.mktemp("scaffold")
    package, site = scaffold(NAME, tmp), tmp / "installed"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    pip += ["--no-deps", "--no-build-isolation", "--no-index", "--target", str(site), str(package)]
    subprocess.run(pip, check=True, capture_output=True, text=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}
    return Installed(package, site, {**env, "PYTHONPATH": str(site)})


def _child(installed: Installed, *command: str) -> subprocess.CompletedProcess[str]:
    # The working directory holds no copy of the package: what runs is what pip installed.
    cwd = installed.site.parent
    return subprocess.run(command, cwd=cwd, env=installed.env, capture_output=True, text=True, timeout=300)


def test_a_scaffolded_connector_passes_its_contract_suite(installed: Installed) -> None:
    report = installed.site.parent / "report.xml"
    tests = installed.package / "tests"
    run = _child(
        installed,
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--junitxml={report}",
        str(tests),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    cases = list(ET.parse(report).iter("testcase"))
    names = {c.get("name", "").split("[")[0] for c in cases}
    assert {
        "test_commit_is_exactly_once_after_a_5xx",
        "test_expired_token_refreshes_once_and_succeeds",
    } <= names
    assert "test_secret_canary_reaches_the_service_only_as_the_credential_and_no_file" in names
    assert len(cases) >= 50


def test_the_installed_scaffold_registers_its_connector_provider_and_harness(installed: Installed) -> None:
    code = (
        "from charter.connectors import get_connector\n"
        "from charter.auth.providers import get_provider\n"
        "from charter.contract_tests.selection import load_harness\n"
        f"name = {NAME!r}\n"
        "connector = get_connector(name)\n"
        "print(connector.__name__, get_provider(name).display_name, load_harness(name).__name__)\n"
        "print(sys.modules[connector.__module__].__file__)"
    )
    run = _child(installed, sys.executable, "-c", f"import sys\n{code}")
    names, where = run.stdout.splitlines()
    assert names.split() == ["AcmeCrmConnector", "Acme", "Crm", "AcmeCrmHarness"], run.stderr
    # What was registered is the installed copy, not the scaffolded folder.
    assert Path(where).is_relative_to(installed.site)


def test_the_scaffold_does_not_leak_into_this_runs_registry(installed: Installed) -> None:
    registry.connectors.cache_clear()
    assert NAME not in registry.connectors()
    with pytest.raises(PackageNotFoundError):
        distribution("charter-acme-crm")


def test_each_part_of_the_scaffold_says_what_to_fill_in_next(installed: Installed) -> None:
    package = installed.package / "charter_acme_crm"
    for part in ("connector.py", "models.py", "provider.py", "sandbox.py", "testing.py"):
        assert "TODO: " in (package / part).read_text(), part
    assert "${" not in "".join(p.read_text() for p in installed.package.rglob("*") if p.is_file())


def test_the_scaffold_is_ruff_clean_and_strictly_typed(installed: Installed, tmp_path: Path) -> None:
    # Another name sorts differently against the fixed names in the templates' imports.
    packages = (installed.package, scaffold("zz_top9", tmp_path))
    for package in packages:
        for command in (("check",), ("format", "--check")):
            ruff = [str(RUFF), *command, "--no-cache", "."]
            run = subprocess.run(ruff, cwd=package, capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stdout + run.stderr
    # mypy reads charter through the links `make lint` makes; make them if this runs first.
    links = ROOT / ".cache" / "typecheck" / "charter"
    links.mkdir(parents=True, exist_ok=True)
    for folder in PACKAGE_DIRS:
        if not (links / folder).exists():
            (links / folder).symlink_to(Path("../../..") / folder)
    sources = [str(p / p.name.replace("charter-", "charter_").replace("-", "_")) for p in packages]
    run = subprocess.run(
        [str(MYPY), "--strict", *sources], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize(
    "name",
    [
        "", "Acme", "1acme", "acme-crm", "acme crm", "acme__crm", "acme_", "_acme", "class", "a" * 33,
        "acme\u200b", "\u0430cme", "acme\n", "../acme", "acme/crm",
    ],
)  # fmt: skip
def test_a_name_that_cannot_be_a_connector_is_refused(name: str, tmp_path: Path) -> None:
    with pytest.raises(ConnectorNameRefused) as refused:
        scaffold(name, tmp_path)
    assert refused.value.code == "connector_name_refused"
    assert "lowercase letters" in refused.value.message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["github", "gmail", "sharepoint", "google", "microsoft", "notes"])
def test_a_name_an_installed_connector_or_provider_holds_is_refused(name: str) -> None:
    with pytest.raises(ConnectorNameRefused, match="already installed"):
        check_name(name)


def test_an_existing_folder_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "charter-acme-crm").mkdir()
    (tmp_path / "charter-acme-crm" / "mine.txt").write_text("keep")
    with pytest.raises(ConnectorNameRefused, match="already exists"):
        scaffold(NAME, tmp_path)
    assert [p.name for p in tmp_path.rglob("*")] == ["charter-acme-crm", "mine.txt"]


def test_a_write_that_fails_half_way_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[Path] = []
    real = Path.write_text

    def fill_up(self: Path, *args: object, **kwargs: object) -> int:
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(self)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", fill_up)
    with pytest.raises(OSError, match="No space"):
        scaffold(NAME, tmp_path)
    assert len(written) == 3
    assert list(tmp_path.iterdir()) == []


def test_the_command_reports_a_refused_name_as_a_coded_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", "connector", "Acme", "--dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith("error[connector_name_refused]: 'Acme' cannot name a connector")
    assert main(["new", "connector", NAME, "--dir", str(tmp_path)]) == 0
    assert f"created {tmp_path / 'charter-acme-crm'}" in capsys.readouterr().out
    assert (tmp_path / "charter-acme-crm" / "charter_acme_crm" / "connector.py").is_file()


def _outline(source: str) -> list[str]:
    """The classes, their methods and the module's functions and constants, in order."""
    names: list[str] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            names += [node.name] + [
                f"{node.name}.{n.name}" for n in node.body if isinstance(n, ast.FunctionDef)
            ]
        elif isinstance(node, ast.FunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


@pytest.mark.parametrize("module", ["connector", "models", "provider", "sandbox", "testing"])
def test_the_scaffold_keeps_in_step_with_the_shipped_example(module: str) -> None:
    # Same shape as docs/examples/notes-connector, with items where the example has notes.
    example = ROOT / "docs" / "examples" / "notes-connector" / "charter_notes"
    rendered = render("notes")[PurePosixPath("charter_notes", f"{module}.py")]
    as_notes = rendered.replace("Item", "Note").replace("item", "note").replace("PROVIDER", "NOTES")
    assert _outline(as_notes) == _outline((example / f"{module}.py").read_text())

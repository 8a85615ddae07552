"""A command whose optional library is missing names the extra that installs it, for every extra."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from charter.schemas import EXTRA_MODULES, MissingExtra, missing_extra

# Runs `charter ARGS` (or Python code) in a fresh interpreter where the named modules cannot be
# imported, as on a machine without their extra.
_BLOCKED_RUN = """
import sys
blocked, mode, rest = sys.argv[1].split(","), sys.argv[2], sys.argv[3:]
for name in blocked:
    sys.modules[name] = None
if mode == "cli":
    from charter.cli.main import main
    sys.exit(main(rest))
try:
    exec(rest[0])
except ImportError as exc:
    print(type(exc).__name__, exc)
"""


def run_without(
    modules: list[str], *args: str, home: Path, mode: str = "cli"
) -> subprocess.CompletedProcess[str]:
    env_args = [sys.executable, "-c", _BLOCKED_RUN, ",".join(modules) or "_none_", mode, *args]
    return subprocess.run(
        env_args, capture_output=True, text=True, timeout=60, env={"CHARTER_HOME": str(home), "PATH": ""}
    )


CASES = [
    (["mcp_types"], ["mcp", "serve", "--grant", "chg_x"], "mcp"),
    (["mcp"], ["mcp", "serve", "--http", "--grant", "chg_x"], "mcp"),
    (["jsonschema"], ["sandbox", "up", "--service", "google", "--port", "1"], "google"),
    (["googleapiclient"], ["connect", "gmail", "--sandbox", "http://127.0.0.1:9"], "google"),
    (["googleapiclient"], ["connect", "calendar", "--sandbox", "http://127.0.0.1:9"], "google"),
    (["github"], ["connect", "github", "--sandbox", "http://127.0.0.1:9"], "github"),
    (["jsonschema"], ["demo", "--scene", "google"], "google"),
    (["jinja2"], ["console", "--no-browser"], "console"),
    (["webauthn"], ["console", "--no-browser"], "console"),
]


@pytest.mark.parametrize(
    ("blocked", "args", "extra"), CASES, ids=lambda v: ",".join(v) if isinstance(v, list) else v
)
def test_a_missing_extra_is_named_with_how_to_install_it(
    blocked: list[str], args: list[str], extra: str, tmp_path: Path
) -> None:
    ran = run_without(blocked, *args, home=tmp_path)
    assert ran.returncode == 1, ran.stderr
    line = ran.stderr.strip().splitlines()[-1]
    assert line.startswith("error[missing_extra]: "), ran.stderr
    assert f"install charter[{extra}]" in line
    assert "internal_error" not in ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize(("blocked", "args", "extra"), [CASES[0], CASES[5]])
def test_control_with_the_library_present_the_command_gets_further(
    blocked: list[str], args: list[str], extra: str, tmp_path: Path
) -> None:
    ran = run_without([], *args, home=tmp_path)
    assert "missing_extra" not in ran.stderr


def test_the_demo_without_the_google_extra_offers_the_github_scene(tmp_path: Path) -> None:
    ran = run_without(["jsonschema"], "demo", "--scene", "google", "--pace", "0", home=tmp_path)
    assert "install charter[google]" in ran.stderr
    assert "--scene github" in ran.stderr


def test_the_python_api_names_the_extra_too(tmp_path: Path) -> None:
    for blocked, code, extra in [
        (["langchain_core"], "import charter.agents.langchain", "langchain"),
        (["mcp_types"], "import charter.agents.mcp", "mcp"),
        (["pydantic_ai"], "import charter.agents.pydantic_ai", "pydantic-ai"),
        (["agents"], "from charter.agents.openai_agents import agents_sdk; agents_sdk()", "openai-agents"),
        (["jsonschema"], "from charter.sandboxes import create_sandbox; create_sandbox('google')", "google"),
        (
            ["github"],
            "from charter.connectors.registry import get_connector; get_connector('github')",
            "github",
        ),
    ]:
        ran = run_without(blocked, code, home=tmp_path, mode="py")
        assert ran.stdout.startswith("MissingExtra "), (code, ran.stdout, ran.stderr)
        assert f"install charter[{extra}]" in ran.stdout


@pytest.mark.parametrize(
    ("module", "extra"),
    [("msal", "microsoft"), ("notion_client", "notion"), ("google.auth.transport.requests", "google"),
     ("mcp.server.stdio", "mcp"), ("langchain_core.tools", "langchain")],
)  # fmt: skip
def test_every_extra_is_named_for_its_modules(module: str, extra: str) -> None:
    found = missing_extra(ModuleNotFoundError(f"No module named {module!r}", name=module))
    assert isinstance(found, MissingExtra)
    assert found.details == {"extra": extra, "module": module}
    assert found.code == "missing_extra"
    assert isinstance(found, ModuleNotFoundError)  # `except ImportError` guards keep working


def test_an_unrelated_import_error_is_not_blamed_on_an_extra() -> None:
    assert missing_extra(ModuleNotFoundError("No module named 'left_pad'", name="left_pad")) is None
    assert (
        missing_extra(ModuleNotFoundError("No module named 'google.protobuf'", name="google.protobuf"))
        is None
    )
    assert missing_extra(ImportError("cannot import name 'x'", name="mcp")) is None
    assert set(EXTRA_MODULES.values()) == {
        "github",
        "google",
        "microsoft",
        "notion",
        "mcp",
        "langchain",
        "openai-agents",
        "pydantic-ai",
        "otel",
        "postgres",
        "console",
    }


def _home_with_a_notion_connection(path: Path) -> str:
    from charter.auth.consent import TokenSet
    from charter.auth.home import CharterHome
    from charter.auth.vault import Vault

    connection = Vault(CharterHome(path)).add_connection(
        service="notion",
        provider="notion",
        account="mona@acme.com",
        tokens=TokenSet("secret_notion_test_token", scopes=frozenset({"read_content"})),
        api_base="http://127.0.0.1:9",
        oauth_base="http://127.0.0.1:9",
        client_id="charter-notion-sandbox",
    )
    return connection.id


def test_a_grant_on_a_service_whose_extra_is_missing_names_the_extra(tmp_path: Path) -> None:
    home = tmp_path / "home"
    notion = _home_with_a_notion_connection(home)
    create = ["grant", "create", "--agent", "notes-bot", "--connection", notion, "--constraint", "pages=p1"]

    ran = run_without(["notion_client"], *create, home=home)

    assert ran.returncode == 1, ran.stderr
    line = ran.stderr.strip().splitlines()[-1]
    assert line.startswith("error[missing_extra]: "), ran.stderr
    assert "install charter[notion]" in line
    assert f"connection {notion} is a notion account" in line
    assert "unknown constraint" not in line
    python = (
        "from charter.auth.grants import GrantAuthority; from charter.auth.home import CharterHome; "
        f"GrantAuthority(CharterHome({str(home)!r})).issue('mona', 'bot', [{notion!r}], ['read'])"
    )
    api = run_without(["notion_client"], python, home=home, mode="py")
    assert api.stdout.startswith("MissingExtra "), (api.stdout, api.stderr)
    # Control: with the library there, the same command issues the grant.
    issued = run_without([], *create, "--quiet", home=home)
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.startswith("chg_")


@pytest.mark.parametrize(
    ("blocked", "scene", "extra"),
    [
        ("notion_client", "notion", "notion"),
        ("msal", "sharepoint", "microsoft"),
        ("github", "all", "github"),
        ("jsonschema", "all", "google"),
    ],
)
def test_a_demo_scene_whose_extra_is_missing_says_so_before_it_plays(
    blocked: str, scene: str, extra: str, tmp_path: Path
) -> None:
    ran = run_without([blocked], "demo", "--scene", scene, "--pace", "0", home=tmp_path)

    assert ran.returncode == 1, ran.stderr
    assert ran.stderr.strip().splitlines()[-1].startswith("error[missing_extra]: ")
    assert f"install charter[{extra}]" in ran.stderr
    assert "Scene" not in ran.stdout  # nothing was played, nothing half-done


def test_every_demo_scene_names_its_extras_and_make_demo_installs_those_of_the_default() -> None:
    import re

    from charter.cli.demo import SCENE_EXTRAS, Scene

    assert set(SCENE_EXTRAS) == set(Scene)
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    [installed] = re.findall(r"^DEMO_EXTRAS := (.+)$", makefile, flags=re.MULTILINE)
    assert set(installed.split(",")) == set(SCENE_EXTRAS[Scene.all])

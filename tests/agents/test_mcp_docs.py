"""docs/agent-developers.md's MCP stdio sample runs as printed, against a real `charter mcp serve`."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import anyio
import pytest
from github_consent import connect_sandbox

from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.sandboxes.github import GitHubSandbox

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "agent-developers.md"


def stdio_sample() -> str:
    """The python block after 'From Python, with the official client:' in the stdio section."""
    section = GUIDE.read_text().split("### Over stdio", 1)[1].split("\n### ", 1)[0]
    found = re.search(r"From Python, with the official client:\s*```python\n(.*?)```", section, re.DOTALL)
    assert found, "no stdio sample in docs/agent-developers.md"
    return found.group(1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def token(tmp_path: Path, sb: GitHubSandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    """A grant of a home in $CHARTER_HOME, with `charter` on PATH, as for a reader of the guide."""
    home = CharterHome(tmp_path / "home")
    monkeypatch.setenv("CHARTER_HOME", str(home.path))
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin")
    for name in ("CHARTER_GRANT", "CHARTER_KEY", "CHARTER_GRANT_KEY", "CHARTER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    connection = connect_sandbox(Vault(home), sb)
    issued = GrantAuthority(home).issue("mona", "triage-bot", (connection.id,), ("read",))
    return issued.token


async def run_sample(token: str) -> dict[str, Any]:
    code = "async def sample(token):\n" + textwrap.indent(stdio_sample(), "    ") + "\n    return locals()\n"
    scope: dict[str, Any] = {}
    exec(compile(code, str(GUIDE), "exec"), scope)
    with anyio.fail_after(60):
        found: dict[str, Any] = await scope["sample"](token)
    return found


@pytest.mark.anyio
async def test_the_stdio_sample_lists_and_calls_through_the_home_in_charter_home(token: str) -> None:
    found = await run_sample(token)

    assert "github_list_issues" in {t.name for t in found["tools"]}
    assert not found["result"].is_error, found["result"].content
    assert found["result"].structured_content["data"]["items"]


@pytest.mark.anyio
async def test_control_without_charter_home_the_server_names_the_missing_home(
    token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHARTER_HOME")  # the sample then names ~/.charter, which this user lacks

    with pytest.raises(Exception):  # noqa: B017, PT011 - the client reports the server's exit its own way
        await run_sample(token)
    assert not (tmp_path / "user" / ".charter").exists()

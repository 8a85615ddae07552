"""A Charter home connected to all five sandboxes by their consent flows, for tests of `charter mcp serve`.

Each connection is made the way a person makes it (OAuth against the sandbox's authorization
server, msal for Microsoft), so the server process finds real, encrypted connections in the vault.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from charter.auth.connect import connect_github
from charter.auth.connect_google import connect_google
from charter.auth.connect_microsoft import connect_microsoft
from charter.auth.connect_notion import connect_notion
from charter.auth.grants import GrantAuthority, IssuedGrant
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.contract_tests.harness import ContractHarness
from charter.contract_tests.harnesses.calendar import CalendarHarness
from charter.contract_tests.harnesses.github import REPO, GitHubHarness
from charter.contract_tests.harnesses.gmail import GmailHarness
from charter.contract_tests.harnesses.notion import EVERY_CAPABILITY, NotionHarness
from charter.contract_tests.harnesses.sharepoint import DEFAULT_SCOPES, SharePointHarness

SERVICES: dict[str, type[ContractHarness]] = {
    "github": GitHubHarness,
    "gmail": GmailHarness,
    "calendar": CalendarHarness,
    "sharepoint": SharePointHarness,
    "notion": NotionHarness,
}


@contextmanager
def started(services: dict[str, type[ContractHarness]] = SERVICES) -> Iterator[dict[str, ContractHarness]]:
    """Each service's contract harness with its sandbox running; stopped on exit."""
    running: dict[str, ContractHarness] = {}
    try:
        for service, cls in services.items():
            running[service] = cls()
            running[service].start()
        yield running
    finally:
        for harness in running.values():
            harness.stop()


def _browser(url: str) -> None:
    # Every sandbox is on loopback http; msal is shown the Microsoft one as https, which it insists on.
    plain = "http://" + url.removeprefix("https://").removeprefix("http://")
    httpx.get(plain, follow_redirects=True, timeout=10)


def connect(vault: Vault, service: str, harness: ContractHarness) -> str:
    """Connect `service` through its consent flow against the harness's sandbox; the connection id."""
    from charter.sandboxes import github, google, microsoft, notion

    sandbox: Any = getattr(harness, "sandbox", None)
    if service == "github":
        return connect_github(
            vault,
            scopes=["repo"],
            client_id=github.DEFAULT_CLIENT_ID,
            client_secret=github.DEFAULT_CLIENT_SECRET,
            oauth_base=harness.base_url,
            api_base=harness.base_url,
            open_browser=_browser,
            timeout=5,
        ).id
    if service == "sharepoint":
        return connect_microsoft(
            vault,
            scopes=sorted(DEFAULT_SCOPES),
            client_id=microsoft.DEFAULT_CLIENT_ID,
            authority=f"{sandbox.url}/organizations",
            api_base=sandbox.graph_base,
            open_browser=_browser,
            timeout=10,
        ).id
    if service == "notion":
        return connect_notion(
            vault,
            capabilities=sorted(EVERY_CAPABILITY),
            client_id=notion.DEFAULT_CLIENT_ID,
            client_secret=notion.DEFAULT_CLIENT_SECRET,
            oauth_base=sandbox.url,
            api_base=sandbox.url,
            open_browser=_browser,
            timeout=5,
        ).id
    return connect_google(
        vault,
        service,
        scopes=sorted(getattr(harness, "every_scope")),  # noqa: B009 - only Google harnesses have it
        client_id=google.DEFAULT_CLIENT_ID,
        client_secret=google.DEFAULT_CLIENT_SECRET,
        oauth_base=harness.base_url,
        api_base=harness.base_url,
        open_browser=_browser,
        timeout=5,
    ).id


@dataclass
class Rig:
    """A Charter home connected to every service, a grant for every tool, and the examples to send."""

    home: CharterHome
    grant: IssuedGrant
    environ: dict[str, str]
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)
    invalid: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_rig(harnesses: dict[str, ContractHarness], home_path: Path) -> Rig:
    """Fresh sandboxes, a home connected to each, and a grant over every tool (destructive ones too)."""
    home = CharterHome(home_path)
    vault = Vault(home)
    connections, destructive = [], []
    examples: dict[str, dict[str, Any]] = {}
    invalid: dict[str, dict[str, Any]] = {}
    for service, harness in harnesses.items():
        harness.reset()
        connections.append(connect(vault, service, harness))
        cls = harness.connector_cls
        destructive += [s.tool_name(service) for s in cls.actions.values() if "destructive" in s.risks]
        for action, example in harness.examples().items():
            examples[f"{service}_{action}"] = dict(example.args)
            if example.invalid:
                invalid[f"{service}_{action}"] = dict(example.invalid[0])
    grant = GrantAuthority(home).issue(
        "mona",
        "conformance-bot",
        connections,
        ("read", "draft", "write"),
        destructive=destructive,
        constraints={"repos": (REPO,)} if "github" in harnesses else {},
    )
    environ = {k: v for k, v in os.environ.items() if k != "CHARTER_GRANT"}
    environ["CHARTER_HOME"] = str(home.path)
    return Rig(home, grant, environ, examples, invalid)


@contextmanager
def http_server(charter: str, rig: Rig, errlog: IO[str], *extra: str) -> Iterator[str]:
    """`charter mcp serve --http --port 0` for the rig's grant; yields its endpoint URL."""
    process = subprocess.Popen(
        [charter, "mcp", "serve", "--http", "--port", "0", "--grant", rig.grant.token, *extra],
        env=rig.environ,
        stdout=subprocess.PIPE,
        stderr=errlog,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        errlog.seek(0)
        assert line.startswith("MCP endpoint: http://127.0.0.1:"), line + errlog.read()
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(10)

"""`charter sandbox up`: each sandbox on its own default port, with a banner that says how to use it."""

from __future__ import annotations

import importlib

import httpx
import pytest

from charter.cli.sandbox import SERVICES, default_port, print_banner
from charter.sandboxes.notion import NotionSandbox


def test_every_sandbox_has_its_own_default_port() -> None:
    ports = [default_port(s) for s in SERVICES]
    assert len(set(ports)) == len(ports)
    assert (default_port("github"), default_port("google")) == (8765, 8766)


# Each sandbox -> the connect subcommand its banner names, and the module holding its OAuth client.
CONNECTS = {
    "github": ("github", "charter.sandboxes.github"),
    "google": ("gmail", "charter.sandboxes.google"),
    "microsoft": ("sharepoint", "charter.sandboxes.microsoft"),
    "notion": ("notion", "charter.sandboxes.notion"),
}


def test_every_sandbox_has_a_banner_here() -> None:
    assert set(CONNECTS) == set(SERVICES)


@pytest.mark.parametrize("service", sorted(CONNECTS))
def test_the_banner_says_how_to_connect_to_that_sandbox_and_that_state_is_in_memory(
    service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{default_port(service)}"
    command, module = CONNECTS[service]

    print_banner(service, url)

    text = " ".join(capsys.readouterr().out.split())
    assert f"{service} sandbox on {url}" in text
    assert f"Connect to it: charter connect {command} --sandbox {url}" in text
    assert importlib.import_module(module).DEFAULT_CLIENT_ID in text
    assert "State lives in memory" in text


@pytest.mark.parametrize("service", SERVICES)
def test_each_banner_is_its_own_services(service: str, capsys: pytest.CaptureFixture[str]) -> None:
    print_banner(service, "http://127.0.0.1:1")
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith(f"{service} sandbox on http://127.0.0.1:1")
    others = [s for s in SERVICES if s != service]
    assert not any(f"{other} sandbox" in text for other in others)
    # Only the GitHub sandbox is seeded with acme/web and hands out its client id.
    assert ("acme/web" in text) == (service == "github")


def test_the_notion_banner_issues_a_token_that_connects(
    nsb: NotionSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    print_banner("notion", nsb.url)
    [line] = [line for line in capsys.readouterr().out.splitlines() if "curl" in line]
    url = line.split()[-1]
    assert url == f"{nsb.url}/_sandbox/notion/tokens", "the command is one line, not wrapped"
    token = httpx.post(url, json={"internal": True}, timeout=10).json()["access_token"]
    me = httpx.get(
        f"{nsb.url}/v1/users/me", headers={"Authorization": f"Bearer {token}", "Notion-Version": "2025-09-03"}
    )
    assert me.json()["bot"]["workspace_name"] == "Acme"

"""`charter sandbox up`: each sandbox on its own default port, with a banner that says how to use it."""

from __future__ import annotations

import importlib

import pytest

from charter.cli.sandbox import SERVICES, default_port, print_banner


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

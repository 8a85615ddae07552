"""`charter sandbox up`: each sandbox on its own default port, with a banner that says how to use it."""

from __future__ import annotations

import pytest

from charter.cli.sandbox import SERVICES, default_port, print_banner


def test_every_sandbox_has_its_own_default_port() -> None:
    ports = [default_port(s) for s in SERVICES]
    assert len(set(ports)) == len(ports)
    assert (default_port("github"), default_port("google")) == (8765, 8766)


@pytest.mark.parametrize(
    ("service", "connect"),
    [("github", "charter connect github --sandbox http://127.0.0.1:8765"),
     ("google", "charter connect gmail --sandbox http://127.0.0.1:8766"),
     ("notion", "charter connect notion --sandbox http://127.0.0.1:8768")],
)  # fmt: skip
def test_the_banner_says_how_to_connect_and_that_state_is_in_memory(
    service: str, connect: str, capsys: pytest.CaptureFixture[str]
) -> None:
    print_banner(service, f"http://127.0.0.1:{default_port(service)}")
    text = " ".join(capsys.readouterr().out.split())
    assert connect in text
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

"""Providers come from Charter itself and from plugins registered under `charter.providers`."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

from charter.auth import providers as registry
from charter.auth.providers import GITHUB, Provider, get_provider
from charter.schemas import ConfigurationError

ECHO = Provider(name="echo", display_name="Echo")
NOT_A_PROVIDER = object()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    registry.providers.cache_clear()
    yield
    registry.providers.cache_clear()


def _use(monkeypatch: pytest.MonkeyPatch, *names: tuple[str, str]) -> None:
    points = [EntryPoint(name, value, registry.GROUP) for name, value in names]
    monkeypatch.setattr(registry, "entry_points", lambda group: points)


def test_a_plugin_provider_is_found_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, ("echo", f"{__name__}:ECHO"))
    assert get_provider("echo") is ECHO
    assert get_provider("github") is GITHUB


def test_a_plugin_cannot_replace_a_builtin_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    impostor = Provider(name="github", display_name="Not GitHub")
    monkeypatch.setattr(f"{__name__}.ECHO", impostor)
    _use(monkeypatch, ("github", f"{__name__}:ECHO"))
    assert get_provider("github") is GITHUB


def test_a_wrong_entry_point_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, ("odd", f"{__name__}:NOT_A_PROVIDER"))
    with pytest.raises(ConfigurationError, match="does not name a Provider"):
        get_provider("github")


def test_plugins_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, ("echo", f"{__name__}:ECHO"))
    monkeypatch.setenv("CHARTER_DISABLE_PLUGINS", "1")
    with pytest.raises(ConfigurationError, match=r"unknown provider 'echo'.*charter\.providers"):
        get_provider("echo")

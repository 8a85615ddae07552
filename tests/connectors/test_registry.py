"""Connectors are found by entry point; a broken or wrong plugin is named, and can be switched off."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from charter.connectors import registry
from charter.connectors.github import GitHubConnector
from charter.schemas import ConfigurationError


def _use(monkeypatch: pytest.MonkeyPatch, *points: EntryPoint) -> None:
    monkeypatch.setattr(registry, "entry_points", lambda group: list(points))
    registry.connectors.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> object:
    registry.connectors.cache_clear()
    yield
    registry.connectors.cache_clear()


BUILTIN = EntryPoint("github", "charter.connectors.github:GitHubConnector", registry.GROUP)


def test_the_builtin_github_connector_is_registered() -> None:
    assert registry.get_connector("github") is GitHubConnector


def test_a_plugin_that_fails_to_import_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, BUILTIN, EntryPoint("acme", "acme_missing_pkg:Connector", registry.GROUP))
    with pytest.raises(ConfigurationError, match="'acme' failed to import"):
        registry.connectors()


def test_plugins_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, BUILTIN, EntryPoint("acme", "acme_missing_pkg:Connector", registry.GROUP))
    monkeypatch.setenv("CHARTER_DISABLE_PLUGINS", "1")
    assert set(registry.connectors()) == {"github"}


def test_an_entry_point_that_is_not_a_connector_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, EntryPoint("odd", "charter.schemas:Page", registry.GROUP))
    with pytest.raises(ConfigurationError, match="does not name a Connector"):
        registry.connectors()


def test_an_unknown_connector_says_which_extra_installs_it() -> None:
    with pytest.raises(ConfigurationError, match=r"pip install 'charter\[jira\]'"):
        registry.get_connector("jira")


def test_a_missing_google_connector_names_the_google_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    _use(monkeypatch, BUILTIN)
    with pytest.raises(ConfigurationError, match=r"pip install 'charter\[google\]'"):
        registry.get_connector("gmail")

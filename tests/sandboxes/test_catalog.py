"""Sandboxes are found by service name, for `charter sandbox up`."""

from __future__ import annotations

import pytest

from charter.sandboxes import create_sandbox, sandbox_names
from charter.sandboxes.github import GitHubSandbox
from charter.schemas import ConfigurationError


def test_github_is_listed_and_created_by_name() -> None:
    assert "github" in sandbox_names()
    assert isinstance(create_sandbox("github"), GitHubSandbox)


def test_an_unknown_name_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="known: github"):
        create_sandbox("myspace")

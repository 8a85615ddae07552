"""A Charter home with an agent's grant, and the console serving it (a new session per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from consoles import Console, serve

from charter.auth.grants import IssuedGrant
from charter.cli.context import Local


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> Local:
    """One home per module: making a home and its tables is the slow part."""
    return Local(tmp_path_factory.mktemp("console") / "home")


@pytest.fixture(scope="module")
def grant(here: Local) -> IssuedGrant:
    return here.grants.issue("mona", "triage-bot", ("github-mona",), ("read", "draft", "write"))


@pytest.fixture
def console(here: Local, grant: IssuedGrant) -> Iterator[Console]:
    yield from serve(here, grant)

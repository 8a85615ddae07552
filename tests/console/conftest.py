"""A Charter home with an agent's grant, and the console serving it (a new session per test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from charter.auth.grants import IssuedGrant
from charter.cli.console.server import ConsoleServer
from charter.cli.context import Local


@dataclass
class Console:
    """The console of one home, its one-time link, and the grant an agent acts with there."""

    here: Local
    server: ConsoleServer
    link: str
    grant: IssuedGrant

    @property
    def origin(self) -> str:
        return self.server.origin

    def pause(self, preview: str = "Comment on acme/web#3\n\nReproduced on 2.4.", tool: str = "") -> str:
        """A call held for approval as the toolkit holds one; returns its id."""
        return self.here.approvals.create(
            grant_id=self.grant.id,
            agent=self.grant.claims.agent,
            subject=self.grant.claims.subject,
            tool=tool or "github_commit_draft",
            args={"draft_id": "drf_1", "n": preview[:20]},
            preview=preview,
            reasons=["github_comment_issue is tagged external"],
        ).id


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> Local:
    """One home per module: making a home and its tables is the slow part."""
    return Local(tmp_path_factory.mktemp("console") / "home")


@pytest.fixture(scope="module")
def grant(here: Local) -> IssuedGrant:
    return here.grants.issue("mona", "triage-bot", ("github-mona",), ("read", "draft", "write"))


def serve(here: Local, grant: IssuedGrant) -> Iterator[Console]:
    server = ConsoleServer(here, poll_seconds=0.1)
    link = server.start()
    try:
        yield Console(here, server, link, grant)
    finally:
        server.stop()


@pytest.fixture
def console(here: Local, grant: IssuedGrant) -> Iterator[Console]:
    yield from serve(here, grant)

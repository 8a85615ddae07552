"""The console of a test home: its server, its one-time link, and calls held for approval."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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


def serve(here: Local, grant: IssuedGrant) -> Iterator[Console]:
    server = ConsoleServer(here, poll_seconds=0.1)
    link = server.start()
    try:
        yield Console(here, server, link, grant)
    finally:
        server.stop()

"""The benchmark rigs (a home, consented connections, a grant) on sandboxes in their own process."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from benchmarks.google_rig import BULK_EVENTS_FROM_DAY, GoogleRig
from benchmarks.remote import RemoteSandbox, github_sandbox, google_sandbox, graph_sandbox, sandbox_now
from benchmarks.rig import GitHubRig, Sample
from benchmarks.sharepoint import SharePointRig
from charter.auth.crypto import KeySet, generate_key
from charter.auth.home import CharterHome
from charter.auth.vault import Vault


class RemoteGitHubRig(GitHubRig):
    """`GitHubRig` whose sandbox runs in a child process; `key` is the vault's, for child processes."""

    def __init__(self, backlog: int, comments_per_issue: int = 0, database_url: str | None = None) -> None:
        super().__init__(0)
        self.remote = RemoteSandbox(partial(github_sandbox, backlog, comments_per_issue))
        self.sandbox = self.remote  # type: ignore[assignment]
        if database_url is not None:
            self.home = CharterHome(self.home.path, database_url=database_url)
        self.key = generate_key()
        self.vault = Vault(self.home, keys=KeySet.parse(self.key, source="benchmark"))

    def set_latency(self, seconds: float) -> None:
        self.remote.set_latency(seconds)

    def measure(self, work: Callable[[], object], times: int = 1) -> Sample:
        return measure_remote(self.remote, work, times)


class RemoteGoogleRig(GoogleRig):
    """`GoogleRig` whose sandbox runs in a child process."""

    def __init__(self, messages: int, events: int) -> None:
        super().__init__(0, 0)
        self.messages, self.events = messages, events
        self.remote = RemoteSandbox(partial(google_sandbox, messages, events))
        self.sandbox = self.remote  # type: ignore[assignment]

    def set_latency(self, seconds: float) -> None:
        self.remote.set_latency(seconds)

    def bulk_events_from(self) -> datetime:
        now = float(self.remote.run(sandbox_now))
        return datetime.fromtimestamp(now - now % 86_400, UTC) + timedelta(days=BULK_EVENTS_FROM_DAY)

    def measure(self, work: Callable[[], object]) -> Sample:
        return measure_remote(self.remote, work, 1)


class RemoteGraphSandbox(RemoteSandbox):
    """The Graph sandbox in a child process, with what `SharePointRig` asks of a sandbox."""

    @property
    def graph_base(self) -> str:
        return f"{self.url}/v1.0"

    def set_budget(self, units_per_minute: int) -> None:
        """The child's budget is set unbounded when it is built (`graph_sandbox`)."""


class RemoteSharePointRig(SharePointRig):
    """`SharePointRig` whose sandbox runs in a child process."""

    def __init__(self, items: int) -> None:
        super().__init__(0)
        self.items = items
        self.remote = RemoteGraphSandbox(partial(graph_sandbox, items))
        self.sandbox = self.remote  # type: ignore[assignment]

    def set_latency(self, seconds: float) -> None:
        self.remote.set_latency(seconds)


def measure_remote(remote: RemoteSandbox, work: Callable[[], Any], times: int) -> Sample:
    """Run `work` `times` times; wall time and the requests the remote sandbox answered meanwhile."""
    remote.clear()
    started = time.perf_counter()
    for _ in range(times):
        work()
    seconds = time.perf_counter() - started
    seen = remote.seen()
    return Sample(seconds, seen.requests, seen.not_modified, seen.body_bytes)

"""The GitHub sandbox, a Charter home with a consented connection, and the clients the benchmarks compare."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx
from github import Auth, Github, GithubRetry

from charter.agents import Toolkit
from charter.auth.connect import connect_github
from charter.auth.crypto import KeySet, generate_key
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.connectors.github import GitHubConnector
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox
from charter.sandboxes.github.seed import Seed, load_seed

WEB = "acme/web"
BACKLOG = "acme/backlog"
LABELS = ("bug", "enhancement", "docs", "")


@dataclass(frozen=True)
class Sample:
    """What one stretch of work cost: wall seconds, HTTP requests, 304 answers, response body bytes."""

    seconds: float
    requests: int
    not_modified: int
    body_bytes: int

    def __add__(self, other: Sample) -> Sample:
        return Sample(
            self.seconds + other.seconds,
            self.requests + other.requests,
            self.not_modified + other.not_modified,
            self.body_bytes + other.body_bytes,
        )


NOTHING = Sample(0.0, 0, 0, 0)


def seed_with_backlog(open_issues: int) -> Seed:
    """The shipped fixtures plus `acme/backlog`, a repository holding `open_issues` open issues."""
    seed = load_seed()
    issues = [
        {
            "number": n,
            "title": f"Backlog item {n}",
            "body": f"Generated issue {n} for the pagination benchmark.",
            "user": "hubot" if n % 3 else "mona",
            "labels": [label] if (label := LABELS[n % len(LABELS)]) else [],
            "created_at": f"2025-02-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
            "state": "open",
        }
        for n in range(1, open_issues + 1)
    ]
    seed["repos"].append(
        {
            "owner": "acme",
            "name": "backlog",
            "description": "A large issue tracker",
            "private": True,
            "created_at": "2025-01-01T10:00:00Z",
            "collaborators": {"mona": "admin"},
            "labels": [{"name": name} for name in LABELS if name],
            "commits": [
                {
                    "branch": "main",
                    "author": "mona",
                    "message": "Start the backlog",
                    "date": "2025-01-01T10:00:00Z",
                    "files": {"README.md": "# backlog\n"},
                }
            ],
            "issues": issues,
        }
    )
    return seed


class GitHubRig:
    """A running GitHub sandbox and mona's connection to it, kept in a throwaway Charter home."""

    def __init__(self, backlog_issues: int) -> None:
        self.sandbox = GitHubSandbox(seed=seed_with_backlog(backlog_issues))
        self._dir = tempfile.TemporaryDirectory(prefix="charter-bench-")
        self.home = CharterHome(Path(self._dir.name) / "home")
        self.vault = Vault(self.home, keys=KeySet.parse(generate_key(), source="benchmark"))
        self.connection_id = ""
        self.grant_token = ""

    def __repr__(self) -> str:
        return f"<GitHubRig {self.sandbox!r}>"

    def __enter__(self) -> Self:
        self.sandbox.start()
        connection = connect_github(
            self.vault,
            scopes=["repo"],
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            oauth_base=self.sandbox.url,
            api_base=self.sandbox.url,
            open_browser=lambda url: httpx.get(url, follow_redirects=True),
            timeout=10,
        )
        self.connection_id = connection.id
        grant = GrantAuthority(self.home).issue(
            "mona", "benchmark-agent", (connection.id,), ("read",), constraints={"repos": (WEB, BACKLOG)}
        )
        self.grant_token = grant.token
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.sandbox.stop()
        self._dir.cleanup()

    def toolkit(self) -> Toolkit:
        """A new Toolkit for the benchmark grant: its own connector, so its ETag cache starts empty."""
        return Toolkit(self.grant_token, home=self.home, vault=self.vault)

    def connector(self) -> GitHubConnector:
        """The GitHub connector on the vault's credentials, without the agent runtime around it."""
        return GitHubConnector(self.vault.credentials(self.connection_id), base_url=self.sandbox.url)

    def pygithub(self, *, lazy: bool = False) -> Github:
        """PyGithub as an agent toolkit would set it up: a token, default page size, no throttling."""
        return Github(
            lazy=lazy,
            base_url=self.sandbox.url,
            auth=Auth.Token(self.vault.credentials(self.connection_id).access_token()),
            retry=GithubRetry(total=3, backoff_factor=0),
            seconds_between_requests=None,
            seconds_between_writes=None,
        )

    def set_latency(self, seconds: float) -> None:
        """Delay every API request by `seconds` in the sandbox (0 removes the delay)."""
        self.sandbox.faults.set_latency(seconds)

    def measure(self, work: Callable[[], object], times: int = 1) -> Sample:
        """Run `work` `times` times; the wall time and the requests the sandbox saw meanwhile."""
        log = self.sandbox.requests
        log.clear()
        started = time.perf_counter()
        for _ in range(times):
            work()
        seconds = time.perf_counter() - started
        seen = log.entries
        return Sample(
            seconds, len(seen), sum(e.status == 304 for e in seen), sum(len(e.response_body) for e in seen)
        )


def call_ok(kit: Toolkit, tool: str, args: dict[str, object]) -> dict[str, Any]:
    """The data of a Toolkit call; a failed call stops the benchmark rather than timing an error."""
    result = kit.call(tool, args)
    if not result.ok:
        raise RuntimeError(f"{tool} failed during the benchmark: {result.error}")
    data: dict[str, Any] = result.data
    return data


def list_all(kit: Toolkit, repo: str, per_page: int | None = None) -> int:
    """Every open issue of `repo` through the Toolkit, page after page as an agent would; how many."""
    args: dict[str, object] = {"repo": repo} | ({"per_page": per_page} if per_page else {})
    seen, cursor = 0, None
    while True:
        data = call_ok(kit, "github_list_issues", args | ({"cursor": cursor} if cursor else {}))
        seen += len(data["items"])
        cursor = data["next_cursor"]
        if not cursor:
            return seen

"""The GitHub sandbox's data: people, repositories, issues, pull requests, comments and git contents.

Built from the seed file on every reset. Tests read it through `GitHubSandbox.state` to see the
side effects of what a client did (was the comment posted? is the PR merged?).
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Literal

from charter.sandboxes.clock import Clock
from charter.sandboxes.github.git import Commit, GitStore

Permission = Literal["admin", "maintain", "write", "triage", "read"]
WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})


def node_id(kind: str, ident: int) -> str:
    """A global node id in GitHub's legacy format, e.g. base64("05:Issue123")."""
    return base64.b64encode(f"{len(kind):02d}:{kind}{ident}".encode()).decode()


def parse_node_id(value: str) -> tuple[str, int] | None:
    """(kind, id) from a node id made by `node_id`, or None."""
    try:
        raw = base64.b64decode(value.encode(), validate=True).decode()
        size, rest = raw.split(":", 1)
        kind, ident = rest[: int(size)], int(rest[int(size) :])
    except (ValueError, UnicodeDecodeError):
        return None
    return kind, ident


@dataclass
class User:
    """A GitHub account: a person (`User`) or an `Organization`."""

    id: int
    login: str
    name: str | None = None
    email: str | None = None
    type: str = "User"
    company: str | None = None
    location: str | None = None
    bio: str | None = None
    created_at: str = "2015-03-01T09:00:00Z"


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Comment:
    """A comment on an issue or pull request."""

    id: int
    issue_number: int
    body: str
    user: str
    created_at: str
    updated_at: str


@dataclass
class PullFields:
    """What makes an issue a pull request."""

    id: int
    head_ref: str
    base_ref: str
    draft: bool = False
    merged: bool = False
    merged_at: str | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    head_sha_at_close: str | None = None
    maintainer_can_modify: bool = False


@dataclass
class Issue:
    """An issue, or a pull request when `pull` is set (they share one number sequence, as on GitHub)."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: str
    updated_at: str
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    closed_at: str | None = None
    closed_by: str | None = None
    locked: bool = False
    pull: PullFields | None = None


@dataclass
class Repo:
    """A repository with its labels, issues, comments and git contents."""

    id: int
    owner: str
    name: str
    description: str | None
    private: bool
    default_branch: str
    created_at: str
    updated_at: str
    pushed_at: str
    collaborators: dict[str, Permission]
    language: str | None = None
    topics: list[str] = field(default_factory=list)
    labels: dict[str, Label] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    git: GitStore = field(default_factory=GitStore)

    @property
    def full_name(self) -> str:
        """`owner/name`."""
        return f"{self.owner}/{self.name}"

    def next_number(self) -> int:
        """The number the next issue or pull request gets."""
        return max(self.issues, default=0) + 1

    def comments_on(self, number: int) -> list[Comment]:
        """Comments of one issue, oldest first."""
        return [c for c in self.comments if c.issue_number == number]

    def head_sha(self, issue: Issue) -> str:
        """The commit a pull request's head points at (frozen once it is closed)."""
        assert issue.pull is not None
        if issue.pull.head_sha_at_close:
            return issue.pull.head_sha_at_close
        return self.git.branches.get(issue.pull.head_ref, "0" * 40)


class GitHubState:
    """Everything the GitHub sandbox holds; mutate it only under the sandbox's lock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.users: dict[str, User] = {}
        self.repos: dict[str, Repo] = {}
        self._ids: dict[str, itertools.count[int]] = {}

    def __repr__(self) -> str:
        return f"GitHubState(users={len(self.users)}, repos={sorted(self.repos)})"

    def new_id(self, kind: str) -> int:
        """A fresh id for a kind of object (ids of different kinds live in different ranges)."""
        bases = {"user": 1000, "repo": 500_000, "issue": 2_000_000, "comment": 3_000_000}
        bases |= {"pull": 4_000_000, "label": 6_000_000}
        if kind not in self._ids:
            self._ids[kind] = itertools.count(bases.get(kind, 9_000_000) + 1)
        return next(self._ids[kind])

    def now(self) -> str:
        """The sandbox's current time, formatted as GitHub does."""
        return self.clock.isoformat()

    # Inspection helpers for tests.
    def repo(self, full_name: str) -> Repo:
        """A repository by `owner/name` (case-insensitive), or KeyError."""
        return self.repos[full_name.lower()]

    def find_repo(self, owner: str, name: str) -> Repo | None:
        """A repository, or None."""
        return self.repos.get(f"{owner}/{name}".lower())

    def issues(self, full_name: str, state: str = "all", *, pulls: bool = False) -> list[Issue]:
        """Issues of a repository (pull requests only when `pulls`), by number."""
        found = [
            i
            for i in self.repo(full_name).issues.values()
            if (i.pull is not None) == pulls and state in ("all", i.state)
        ]
        return sorted(found, key=lambda i: i.number)

    def pulls(self, full_name: str, state: str = "all") -> list[Issue]:
        """Pull requests of a repository, by number."""
        return self.issues(full_name, state, pulls=True)

    def issue(self, full_name: str, number: int) -> Issue:
        """One issue or pull request by number, or KeyError."""
        return self.repo(full_name).issues[number]

    def comments(self, full_name: str, number: int) -> list[Comment]:
        """Comments on one issue or pull request, oldest first."""
        return self.repo(full_name).comments_on(number)

    def branches(self, full_name: str) -> dict[str, str]:
        """Branch name -> head commit sha."""
        return dict(self.repo(full_name).git.branches)

    def file(self, full_name: str, path: str, ref: str | None = None) -> str | None:
        """A file's text on a branch (the default branch if not given), or None if absent."""
        repo = self.repo(full_name)
        commit = repo.git.resolve(ref or repo.default_branch)
        if commit is None or path not in commit.tree:
            return None
        return repo.git.blobs[commit.tree[path]].decode("utf-8", "replace")

    def head_commit(self, full_name: str, branch: str) -> Commit:
        """The commit a branch points at."""
        repo = self.repo(full_name)
        return repo.git.commits[repo.git.branches[branch]]

"""Builds the sandbox's state from `seed.json`, the fixture file shipped with the package."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import cast

from charter.sandboxes.clock import Clock
from charter.sandboxes.github.state import (
    Comment,
    GitHubState,
    Issue,
    Label,
    Permission,
    PullFields,
    Repo,
    User,
)
from charter.schemas.types import JsonObject as Seed


@lru_cache(maxsize=1)
def _seed_text() -> str:
    return resources.files("charter.sandboxes.github").joinpath("seed.json").read_text("utf-8")


def load_seed() -> Seed:
    """A fresh copy of the shipped fixtures."""
    return cast(Seed, json.loads(_seed_text()))


def build_state(clock: Clock, seed: Seed | None = None) -> GitHubState:
    """A new state holding exactly the seed data."""
    data = seed if seed is not None else load_seed()
    state = GitHubState(clock)
    for raw in data["users"]:
        user = User(id=state.new_id("user"), **raw)
        state.users[user.login] = user
    for raw in data["repos"]:
        repo = _build_repo(state, raw)
        state.repos[repo.full_name.lower()] = repo
    return state


def _build_repo(state: GitHubState, raw: Seed) -> Repo:
    repo = Repo(
        id=state.new_id("repo"),
        owner=raw["owner"],
        name=raw["name"],
        description=raw.get("description"),
        private=raw.get("private", True),
        default_branch=raw.get("default_branch", "main"),
        created_at=raw["created_at"],
        updated_at=raw["created_at"],
        pushed_at=raw["created_at"],
        collaborators=cast(dict[str, Permission], dict(raw.get("collaborators", {}))),
        language=raw.get("language"),
    )
    for lab in raw.get("labels", []):
        repo.labels[lab["name"]] = Label(id=state.new_id("label"), **lab)
    for c in raw.get("commits", []):
        if c["branch"] not in repo.git.branches and "from" in c:
            repo.git.branches[c["branch"]] = repo.git.branches[c["from"]]
        author = state.users[c["author"]]
        email = author.email or f"{author.login}@users.noreply.github.com"
        files = {path: text.encode() for path, text in c["files"].items()}
        commit = repo.git.commit(
            c["branch"], files, c["message"], (author.name or author.login, email), c["date"]
        )
        repo.pushed_at = max(repo.pushed_at, commit.date)
    for raw_issue in raw.get("issues", []):
        _add_issue(state, repo, raw_issue, None)
    for raw_pull in raw.get("pulls", []):
        pull = PullFields(
            id=state.new_id("pull"),
            head_ref=raw_pull["head"],
            base_ref=raw_pull["base"],
            draft=raw_pull.get("draft", False),
        )
        issue = _add_issue(state, repo, raw_pull, pull)
        if issue.state == "closed":
            pull.head_sha_at_close = repo.git.branches[pull.head_ref]
    repo.updated_at = max([repo.pushed_at, *(i.updated_at for i in repo.issues.values())])
    return repo


def _add_issue(state: GitHubState, repo: Repo, raw: Seed, pull: PullFields | None) -> Issue:
    issue = Issue(
        id=state.new_id("issue"),
        number=raw["number"],
        title=raw["title"],
        body=raw.get("body"),
        user=raw["user"],
        created_at=raw["created_at"],
        updated_at=raw["created_at"],
        state=raw.get("state", "open"),
        state_reason=raw.get("state_reason"),
        labels=list(raw.get("labels", [])),
        assignees=list(raw.get("assignees", [])),
        closed_at=raw.get("closed_at"),
        closed_by=raw["user"] if raw.get("closed_at") else None,
        pull=pull,
    )
    for rc in raw.get("comments", []):
        comment = Comment(
            id=state.new_id("comment"),
            issue_number=issue.number,
            body=rc["body"],
            user=rc["user"],
            created_at=rc["created_at"],
            updated_at=rc["created_at"],
        )
        repo.comments.append(comment)
        issue.updated_at = max(issue.updated_at, comment.created_at)
    if issue.closed_at:
        issue.updated_at = max(issue.updated_at, issue.closed_at)
    repo.issues[issue.number] = issue
    return issue

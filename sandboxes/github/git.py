"""A tiny content-addressed store of blobs, trees and commits: enough git for contents, refs and merges."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def blob_sha(content: bytes) -> str:
    """The sha git gives a file's content, so `sha` fields match what real clients compute."""
    return hashlib.sha1(b"blob %d\x00" % len(content) + content, usedforsecurity=False).hexdigest()


def tree_sha(tree: dict[str, str]) -> str:
    """A stable sha for a flat path -> blob map."""
    listing = "\n".join(f"{path} {sha}" for path, sha in sorted(tree.items()))
    return hashlib.sha1(b"tree " + listing.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Commit:
    """A commit: a whole flat tree of path -> blob sha, its parents and who made it when."""

    sha: str
    message: str
    tree: dict[str, str]
    parents: list[str]
    author_name: str
    author_email: str
    date: str


@dataclass
class GitStore:
    """Blobs, commits and branch heads of one repository."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)

    def commit(
        self,
        branch: str,
        changes: dict[str, bytes | None],
        message: str,
        author: tuple[str, str],
        date: str,
        *,
        parents: list[str] | None = None,
    ) -> Commit:
        """Commit `changes` (None deletes a path) on top of `branch` (created if new) and advance it."""
        head = self.branches.get(branch)
        parent_list = parents if parents is not None else ([head] if head else [])
        tree = dict(self.commits[parent_list[0]].tree) if parent_list else {}
        for path, content in changes.items():
            if content is None:
                tree.pop(path, None)
            else:
                sha = blob_sha(content)
                self.blobs[sha] = content
                tree[path] = sha
        seed = f"{tree_sha(tree)}\n{' '.join(parent_list)}\n{author[0]}\n{date}\n{message}"
        sha = hashlib.sha1(b"commit " + seed.encode(), usedforsecurity=False).hexdigest()
        commit = Commit(sha, message, tree, parent_list, author[0], author[1], date)
        self.commits[sha] = commit
        self.branches[branch] = sha
        return commit

    def resolve(self, ref: str) -> Commit | None:
        """The commit a branch name, `heads/x`, `refs/heads/x` or a commit sha points at."""
        name = ref.removeprefix("refs/").removeprefix("heads/")
        if name in self.branches:
            return self.commits[self.branches[name]]
        return self.commits.get(ref)

    def ancestors(self, sha: str) -> list[str]:
        """`sha` and every commit reachable from it, nearest first."""
        seen: list[str] = []
        todo = [sha]
        while todo:
            current = todo.pop(0)
            if current in seen or current not in self.commits:
                continue
            seen.append(current)
            todo.extend(self.commits[current].parents)
        return seen

    def merge_base(self, a: str, b: str) -> str | None:
        """The nearest common ancestor of two commits."""
        of_b = set(self.ancestors(b))
        return next((sha for sha in self.ancestors(a) if sha in of_b), None)

    def changes_since(self, base: str | None, head: str) -> dict[str, str | None]:
        """Paths whose blob differs between two commits (None: deleted in `head`)."""
        old = self.commits[base].tree if base else {}
        new = self.commits[head].tree
        changed: dict[str, str | None] = {p: s for p, s in new.items() if old.get(p) != s}
        changed.update({p: None for p in old if p not in new})
        return changed

    def merge_conflicts(self, base_branch: str, head_sha: str) -> list[str]:
        """Paths both sides changed differently since their merge base."""
        base_sha = self.branches[base_branch]
        common = self.merge_base(head_sha, base_sha)
        ours = self.changes_since(common, base_sha)
        theirs = self.changes_since(common, head_sha)
        return sorted(p for p in theirs if p in ours and ours[p] != theirs[p])

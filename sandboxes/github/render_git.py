"""GitHub's JSON shapes for git objects: commits, file contents and references."""

from __future__ import annotations

import base64
import zlib

from charter.sandboxes.github.git import Commit, tree_sha
from charter.sandboxes.github.state import GitHubState, Repo, node_id
from charter.schemas.types import JsonObject


def commit(base: str, state: GitHubState, repo: Repo, c: Commit) -> JsonObject:
    """A `commit` (as in GET /branches/{branch})."""
    api = f"{base}/repos/{repo.full_name}"
    person = {"name": c.author_name, "email": c.author_email, "date": c.date}
    return {
        "sha": c.sha,
        "node_id": node_id("Commit", int(c.sha[:12], 16)),
        "url": f"{api}/commits/{c.sha}",
        "html_url": f"{base}/{repo.full_name}/commit/{c.sha}",
        "comments_url": f"{api}/commits/{c.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{c.sha}",
            "author": person,
            "committer": person,
            "message": c.message,
            "comment_count": 0,
            "tree": {"sha": tree_sha(c.tree), "url": f"{api}/git/trees/{tree_sha(c.tree)}"},
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": None,
        "committer": None,
        "parents": [
            {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{base}/{repo.full_name}/commit/{p}"}
            for p in c.parents
        ],
    }


def git_commit_summary(base: str, repo: Repo, c: Commit) -> JsonObject:
    """The `commit` member of a `file-commit` (PUT /contents)."""
    api = f"{base}/repos/{repo.full_name}"
    person = {"name": c.author_name, "email": c.author_email, "date": c.date}
    return {
        "sha": c.sha,
        "node_id": node_id("Commit", int(c.sha[:12], 16)),
        "url": f"{api}/git/commits/{c.sha}",
        "html_url": f"{base}/{repo.full_name}/commit/{c.sha}",
        "author": person,
        "committer": person,
        "message": c.message,
        "tree": {"sha": tree_sha(c.tree), "url": f"{api}/git/trees/{tree_sha(c.tree)}"},
        "parents": [
            {"sha": p, "url": f"{api}/git/commits/{p}", "html_url": f"{base}/{repo.full_name}/commit/{p}"}
            for p in c.parents
        ],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
            "verified_at": None,
        },
    }


def content_entry(base: str, repo: Repo, path: str, ref: str, sha: str, size: int, kind: str) -> JsonObject:
    """One item of a directory listing (and the common part of a `content-file`)."""
    api = f"{base}/repos/{repo.full_name}"
    self_url = f"{api}/contents/{path}?ref={ref}"
    git_url = f"{api}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}"
    html_url = f"{base}/{repo.full_name}/{'blob' if kind == 'file' else 'tree'}/{ref}/{path}"
    return {
        "type": kind,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "size": size,
        "url": self_url,
        "html_url": html_url,
        "git_url": git_url,
        "download_url": f"{base}/raw/{repo.full_name}/{ref}/{path}" if kind == "file" else None,
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


def content_file(base: str, repo: Repo, path: str, ref: str, sha: str, data: bytes) -> JsonObject:
    """A `content-file`: base64 content wrapped at 60 characters, as GitHub does."""
    encoded = base64.b64encode(data).decode()
    wrapped = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    entry = content_entry(base, repo, path, ref, sha, len(data), "file")
    return {**entry, "content": wrapped, "encoding": "base64"}


def git_ref(base: str, repo: Repo, branch: str, sha: str) -> JsonObject:
    """A `git-ref` for a branch."""
    api = f"{base}/repos/{repo.full_name}"
    ref = f"refs/heads/{branch}"
    return {
        "ref": ref,
        "node_id": node_id("Ref", zlib.crc32(f"{repo.id}:{ref}".encode())),
        "url": f"{api}/git/{ref}",
        "object": {"sha": sha, "type": "commit", "url": f"{api}/git/commits/{sha}"},
    }

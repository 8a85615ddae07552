"""GitHub's JSON answers turned into Charter resources, refusing what a reader cannot use."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from charter.connectors.github.models import (
    CONNECTOR,
    FileContent,
    Issue,
    IssueComment,
    PullRequest,
    Repository,
)
from charter.schemas import Conflict, Provenance, ValidationError

MAX_FILE_BYTES = 1_000_000


def provenance(kind: str, data: dict[str, Any], url_key: str = "html_url") -> Provenance:
    """Where a GitHub object came from: its GitHub id, page, and author."""
    author = (data.get("user") or data.get("owner") or {}).get("login")
    return Provenance(
        connector=CONNECTOR, id=f"{kind}:{data.get('id')}", url=data.get(url_key), author=author
    )


def repository_from(data: dict[str, Any]) -> Repository:
    return Repository(
        id=data["full_name"],
        provenance=provenance("repo", data),
        full_name=data["full_name"],
        private=bool(data.get("private")),
        default_branch=data.get("default_branch") or "main",
        description=data.get("description"),
        archived=bool(data.get("archived")),
    )


def issue_from(repo: str, data: dict[str, Any]) -> Issue:
    return Issue(
        id=f"{repo}#{data['number']}",
        provenance=provenance("issue", data),
        repo=repo,
        number=data["number"],
        title=data.get("title") or "",
        state=data.get("state") or "open",
        state_reason=data.get("state_reason"),
        body=data.get("body") or "",
        labels=[
            label["name"] if isinstance(label, dict) else str(label) for label in data.get("labels") or []
        ],
        comments=int(data.get("comments") or 0),
        is_pull_request="pull_request" in data,
        created_at=data.get("created_at"),
        closed_at=data.get("closed_at"),
    )


def pull_request_from(repo: str, data: dict[str, Any]) -> PullRequest:
    return PullRequest(
        id=f"{repo}#{data['number']}",
        provenance=provenance("pull", data),
        repo=repo,
        number=data["number"],
        title=data.get("title") or "",
        state=data.get("state") or "open",
        draft=bool(data.get("draft")),
        merged=bool(data.get("merged") or data.get("merged_at")),
        head=data["head"]["ref"],
        head_sha=data["head"]["sha"],
        base=data["base"]["ref"],
        body=data.get("body") or "",
        mergeable=data.get("mergeable"),
        created_at=data.get("created_at"),
    )


def comment_from(repo: str, number: int, data: dict[str, Any]) -> IssueComment:
    return IssueComment(
        id=f"{repo}#{number}/comment:{data['id']}",
        provenance=provenance("comment", data),
        repo=repo,
        number=number,
        body=data.get("body") or "",
        created_at=data.get("created_at"),
    )


def repo_comment_from(repo: str, data: dict[str, Any]) -> IssueComment:
    """A comment from the repository-wide listing, which names its issue only by `issue_url`."""
    number = str(data.get("issue_url", "")).rstrip("/").rsplit("/", 1)[-1]
    return comment_from(repo, int(number) if number.isdigit() else 0, data)


def iso_utc(moment: datetime) -> str:
    """A time as GitHub's `since` takes it: ISO 8601 in UTC (a time without a zone is taken as UTC)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")


def repo_of(data: dict[str, Any]) -> str:
    """`owner/name` of an issue from its `repository_url` (search results span repositories)."""
    return "/".join(str(data.get("repository_url", "")).rstrip("/").split("/")[-2:])


def decoded(content: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(content.get("content") or "")
    except (binascii.Error, ValueError):
        return b""


def file_from(repo: str, path: str, ref: str | None, data: Any) -> FileContent:
    """A file's text from the contents API, refusing what is not a readable text file."""
    where = f"{path} in {repo}"
    if isinstance(data, list):
        raise ValidationError(f"{where} is a directory; ask for a file inside it.")
    if data.get("type") != "file":
        raise ValidationError(f"{where} is a {data.get('type')}, not a file.")
    size = int(data.get("size") or 0)
    if size > MAX_FILE_BYTES or data.get("encoding") == "none":
        raise ValidationError(
            f"{where} is {size:,} bytes; get_file reads text files up to {MAX_FILE_BYTES:,} bytes."
        )
    raw = decoded(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:
        raise ValidationError(f"{where} is a binary file; get_file returns text only.")
    return FileContent(
        id=f"{repo}:{path}@{data['sha']}",
        # Named by its path, which a person recognises in a taint reason (a blob sha says nothing).
        provenance=provenance("content", dict(data, id=f"{repo}/{path}")),
        repo=repo,
        path=path,
        ref=ref,
        sha=data["sha"],
        size=size,
        text=text,
    )


def pull_digest(pull: dict[str, Any]) -> str:
    """What a person reviews of a draft pull request: title, description, base, and the head commit.

    New commits pushed to the head branch change the head sha, so they change the digest too.
    """
    head, base = pull.get("head") or {}, pull.get("base") or {}
    reviewed = {
        "title": pull.get("title"),
        "body": pull.get("body") or "",
        "base": base.get("ref"),
        "head": head.get("ref"),
        "head_sha": head.get("sha"),
        "head_repo": (head.get("repo") or {}).get("full_name"),
    }
    return "sha256:" + hashlib.sha256(json.dumps(reviewed, sort_keys=True).encode()).hexdigest()


def check_mergeable(target: str, pull: dict[str, Any], expected_sha: str | None) -> None:
    """Refuse, before sending anything, a merge GitHub would refuse or the person did not review."""
    if pull.get("merged"):
        raise Conflict(f"pull request {target} is already merged; nothing to do.")
    if pull.get("state") != "open":
        raise Conflict(f"pull request {target} is closed; reopen it before merging.")
    if pull.get("draft"):
        raise Conflict(
            f"pull request {target} is a draft; mark it ready for review (write its draft) before merging."
        )
    if expected_sha and pull["head"]["sha"] != expected_sha:
        raise Conflict(
            f"pull request {target} has new commits since {expected_sha[:7]}; review them, then merge "
            "with the new head sha."
        )

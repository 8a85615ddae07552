"""GitHub's custom media types: `Accept: application/vnd.github.PARAM[+json]` and what each changes.

`raw`, `text`, `html` and `full` choose which of `body`, `body_text`, `body_html` issues, pull
requests and comments carry; `raw` and `html` on a file return its bytes or its rendering instead
of JSON; `diff` and `patch` on a pull request return it as a diff or as mailbox patches. The
answer names what it chose in `X-GitHub-Media-Type`, e.g. `github.v3; param=raw; format=json`.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass
from typing import Any

from charter.sandboxes.github.git import Commit, GitStore

_VND = re.compile(
    r"application/vnd\.github(?:\.v3)?(?:\.(?P<param>raw|text|html|full|diff|patch|object|sha))?"
    r"(?:\+(?P<format>json))?",
    re.IGNORECASE,
)
# What a body-bearing resource carries under each param (no param: `body` alone).
_BODY_FIELDS = {
    "raw": ("body",),
    "text": ("body_text",),
    "html": ("body_html",),
    "full": ("body", "body_text", "body_html"),
}


@dataclass(frozen=True)
class Media:
    """The media type a request asked for: GitHub's `param` (or None) and whether the answer is JSON."""

    param: str | None = None
    json: bool = True

    def header(self) -> str:
        """The `X-GitHub-Media-Type` value GitHub answers with."""
        parts = ["github.v3"] + ([f"param={self.param}"] if self.param else [])
        return "; ".join(parts + (["format=json"] if self.json else []))

    def content_type(self) -> str:
        """The Content-Type of a non-JSON answer in this media type."""
        return f"application/vnd.github.{self.param}; charset=utf-8"


def requested(accept: str | None) -> Media:
    """The first GitHub media type in an `Accept` header; plain JSON when there is none."""
    for item in (accept or "").split(","):
        found = _VND.fullmatch(item.split(";")[0].strip())
        if found:
            param = (found.group("param") or "").lower() or None
            return Media(param, bool(found.group("format")) or param in (None, "text", "full", "object"))
    return Media()


def with_body_format(value: Any, media: Media) -> Any:
    """`value` with each issue, pull request and comment carrying the body fields `media` asks for."""
    fields = _BODY_FIELDS.get(media.param or "raw")
    if fields is None or fields == ("body",):
        return value
    if isinstance(value, list):
        return [with_body_format(v, media) for v in value]
    if not isinstance(value, dict):
        return value
    if "items" in value and isinstance(value["items"], list):
        return {**value, "items": with_body_format(value["items"], media)}
    if "body" not in value or "author_association" not in value:
        return value
    body = value["body"]
    forms = {"body": body, "body_text": body, "body_html": None if body is None else markdown_html(body)}
    out = {k: v for k, v in value.items() if k != "body"}
    return {**out, **{f: forms[f] for f in fields}}


def markdown_html(text: str) -> str:
    """Markdown as GitHub renders it, as far as a sandbox needs: escaped paragraphs and line breaks."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p]
    return "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>' + chr(10))}</p>" for p in paragraphs)


def file_html(path: str, content: bytes) -> bytes:
    """A file's rendering for `application/vnd.github.html`."""
    text = content.decode("utf-8", "replace")
    inner = (
        markdown_html(text)
        if path.lower().endswith((".md", ".markdown"))
        else f"<pre>{html.escape(text)}</pre>"
    )
    return (
        f'<div id="file" class="md" data-path="{html.escape(path)}"><article class="markdown-body '
        f'entry-content container-lg" itemprop="text">{inner}</article></div>'
    ).encode()


def diff(git: GitStore, base: str | None, head: str) -> str:
    """The unified diff from `base` to `head`, as `git diff` prints it."""
    old = git.commits[base].tree if base else {}
    new = git.commits[head].tree
    out: list[str] = []
    for path in sorted(set(old) | set(new)):
        if old.get(path) == new.get(path):
            continue
        before, after = old.get(path), new.get(path)
        out.append(f"diff --git a/{path} b/{path}\n")
        if before is None:
            out.append("new file mode 100644\n")
        elif after is None:
            out.append("deleted file mode 100644\n")
        out.append(
            f"index {(before or '0' * 40)[:7]}..{(after or '0' * 40)[:7]}"
            + (" 100644\n" if before and after else "\n")
        )
        source, target = f"a/{path}" if before else "/dev/null", f"b/{path}" if after else "/dev/null"
        lines = difflib.unified_diff(_lines(git, before), _lines(git, after), fromfile=source, tofile=target)
        out.extend(lines)
    return "".join(out)


def patch(git: GitStore, base: str | None, head: str) -> str:
    """Each commit from `base` to `head` as a mailbox patch, oldest first, as `git format-patch`."""
    reachable = set(git.ancestors(base)) if base else set()
    commits = [git.commits[s] for s in reversed(git.ancestors(head)) if s not in reachable]
    total = len(commits)
    return "".join(_mail(git, c, n, total) for n, c in enumerate(commits, start=1))


def _mail(git: GitStore, commit: Commit, n: int, total: int) -> str:
    subject, _, rest = commit.message.partition("\n")
    number = f"[PATCH {n}/{total}]" if total > 1 else "[PATCH]"
    body = rest.strip() + "\n" if rest.strip() else ""
    parent = commit.parents[0] if commit.parents else None
    return (
        f"From {commit.sha} Mon Sep 17 00:00:00 2001\nFrom: {commit.author_name} <{commit.author_email}>\n"
        f"Date: {commit.date}\nSubject: {number} {subject}\n\n{body}---\n"
        f"{diff(git, parent, commit.sha)}\n"
    )


def _lines(git: GitStore, sha: str | None) -> list[str]:
    if sha is None:
        return []
    return git.blobs[sha].decode("utf-8", "replace").splitlines(keepends=True)


__all__ = ["Media", "diff", "file_html", "markdown_html", "patch", "requested", "with_body_format"]

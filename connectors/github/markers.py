"""The text Charter adds to what an agent writes on GitHub: a visible attribution, a hidden key."""

from __future__ import annotations

import hashlib
import re

from charter.connectors.base import Attribution

MARKER = "<!-- charter:write={key} -->"
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9:_.=/+]+(?:-[A-Za-z0-9:_.=/+]+)*$")


def marker(key: str) -> str:
    """The hidden marker that lets a retry find the effect of an attempt whose answer was lost."""
    # A key that could end or break the HTML comment (`--`, `>`) is written as its digest.
    shown = key if _PLAIN_KEY.match(key) else "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return MARKER.format(key=shown)


def visible_body(body: str, attribution: Attribution | None) -> str:
    """The body as people will read it: the text, then the attribution line when an agent wrote it."""
    if attribution is None:
        return body
    footer = f"---\n{attribution.line()}"
    return f"{body.rstrip()}\n\n{footer}" if body.strip() else footer


def committed_body(body: str, attribution: Attribution | None, key: str) -> str:
    """What is sent: the visible body and, invisible in rendered Markdown, the idempotency marker."""
    shown = visible_body(body, attribution)
    return f"{shown}\n\n{marker(key)}" if shown else marker(key)


def carries(text: str | None, key: str) -> bool:
    """Whether `text` was written by the attempt holding idempotency key `key`."""
    return bool(text) and marker(key) in str(text)

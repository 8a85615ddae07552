"""What a person approves: exactly what will go out, with nothing hidden by the way it is shown.

A preview is a structured object (`Preview`: heading, body, links, warnings) and a plain-text
rendering of it, so a terminal and a web page show the same thing. It is never redacted (the audit
log redacts; the person must see the real value that will be sent). Control, bidi and invisible
characters and terminal escape sequences are made visible as `⟨U+202E RIGHT-TO-LEFT OVERRIDE⟩`
and flagged, so nothing can conceal, reorder or erase a line; every link is listed with the host
it really reaches, and a look-alike or mixed-script host is named as such.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from charter.agents.links import Link, links
from charter.agents.textnorm import is_invisible

_KEPT = {"\n", "\t"}


def _hidden(char: str) -> bool:
    if char in _KEPT:
        return False
    category = unicodedata.category(char)
    return category in ("Cc", "Co", "Cs", "Zl", "Zp") or is_invisible(char) or char == "\u00a0"


def _marker(char: str) -> str:
    name = unicodedata.name(char, "") or {"\x1b": "ESCAPE"}.get(char, "CONTROL")
    return f"⟨U+{ord(char):04X} {name}⟩"


def visible(text: str) -> tuple[str, int]:
    """`text` with every control, bidi or invisible character shown as a marker, and how many."""
    if text.isascii() and text.isprintable():
        return text, 0
    shown: list[str] = []
    count = 0
    for char in text:
        if _hidden(char):
            shown.append(_marker(char))
            count += 1
        else:
            shown.append(char)
    return "".join(shown), count


@dataclass(frozen=True)
class Preview:
    """A preview as data: what a console lays out, and what `text()` prints."""

    heading: str
    body: str
    links: tuple[Link, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def text(self) -> str:
        """The plain-text rendering: heading, warnings, the body, then every link with its host."""
        parts = [self.heading]
        parts += [f"WARNING: {w}" for w in self.warnings]
        # The body keeps its own first line break: a preview with nothing to flag reads as written.
        parts[-1] += self.body
        if self.links:
            parts += ["", "Links (the host each one really reaches):"]
            parts += [f"  - {link.describe()}" for link in self.links]
        return "\n".join(parts).rstrip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "heading": self.heading,
            "body": self.body,
            "warnings": list(self.warnings),
            "links": [
                {"url": k.url, "host": k.host, "carries_data": k.carries_data, "warnings": list(k.warnings)}
                for k in self.links
            ],
        }


def preview_of(heading: str, body: str) -> Preview:
    """A preview of `body` as it will go out, its hidden characters shown and its links listed."""
    shown_heading, in_heading = visible(heading)
    shown, count = visible(body)
    found = tuple(links(body))
    warnings: list[str] = []
    if count + in_heading:
        warnings.append(
            f"{count + in_heading} control, bidi or invisible characters are shown as ⟨U+…⟩ markers; "
            "they would be sent as they are"
        )
    warnings += [f"link to {link.host}: {'; '.join(link.warnings)}" for link in found if link.warnings]
    return Preview(shown_heading, shown, found, tuple(warnings))


def draft_preview(text: str) -> Preview:
    """A connector's draft preview (its first line the heading), shown the same way."""
    heading, newline, body = text.partition("\n")
    return preview_of(heading, newline + body)


def call_preview(tool: str, description: str, payload: Mapping[str, Any]) -> Preview:
    """The preview of a direct write: every argument exactly as it will be sent, never redacted."""
    body = json.dumps(payload, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    texts = "\n".join(_strings(payload))
    made = preview_of(f"{tool} — {description}", f"\nwith arguments:\n{body}")
    found = tuple(links(texts)) or made.links
    return Preview(made.heading, made.body, found, made.warnings)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


__all__ = ["Preview", "call_preview", "draft_preview", "preview_of", "visible"]

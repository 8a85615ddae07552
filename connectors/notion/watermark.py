"""Watermarks of incremental data source reads, where Notion keeps `last_edited_time` to the minute.

A watermark names the latest edit minute seen and a fingerprint of each row seen in it, so a repeat
read (`on_or_after` that minute) drops the rows it already returned. A property edit changes the
fingerprint. An edit of only a row's content does not: the row's minute and properties stay the
same. So while that minute may still take edits (it has not ended, plus a margin for clock skew),
the fingerprints also cover the row's top-level blocks (one extra request per row, for at most a
few rows); once a read happens after the minute closed, no later edit can carry that minute and
the plain fingerprints suffice.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from charter.connectors.notion.blocks import plain
from charter.connectors.notion.client import NotionApi
from charter.schemas import ValidationError
from charter.schemas.types import JsonObject

MAX_FINGERPRINTS = 200
# Rows of a still-open minute whose content is read for their fingerprint; beyond that the next
# read returns the minute's rows again rather than miss one.
MAX_CONTENT_CHECKS = 10
# Seconds after a minute ends before it counts as closed: Notion's clock and ours may differ.
SETTLE = 60.0


@dataclass
class Watermark:
    """The latest minute seen, the fingerprint of each row seen in it, and whether they cover content."""

    minute: str | None
    seen: dict[str, str] = field(default_factory=dict)
    open: bool = False

    def encode(self) -> str:
        raw = json.dumps({"m": self.minute, "f": self.seen, "o": self.open}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Watermark:
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "==="))
            minute, seen, is_open = str(data["m"]), data["f"], data["o"]
            if not (isinstance(seen, dict) and isinstance(is_open, bool)):
                raise TypeError
            return cls(minute, {str(k): str(v) for k, v in seen.items()}, is_open)
        except (ValueError, KeyError, TypeError):
            raise ValidationError(
                "since_watermark is not a watermark this connector gave; pass it unchanged."
            ) from None


class Fingerprints:
    """Fingerprints of rows for one read; a row's content is read at most once."""

    def __init__(self, api: NotionApi) -> None:
        self.api = api
        self._content: dict[str, str] = {}

    def of(self, row: JsonObject, with_content: bool) -> str:
        parts = [row["id"], row["last_edited_time"], row.get("properties")]
        if with_content:
            parts.append(self._content_of(str(row["id"])))
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]

    def _content_of(self, row_id: str) -> str:
        if row_id not in self._content:
            page = self.api.call(
                f"checking the content of row {row_id}", self.api.client.blocks.children.list,
                about=row_id, block_id=row_id, page_size=100,
            )  # fmt: skip
            blocks = [
                [b.get("id"), b.get("type"), plain(b), b.get("has_children"), b.get("in_trash")]
                for b in page.get("results", [])
            ]
            raw = json.dumps([blocks, page.get("has_more")], sort_keys=True)
            self._content[row_id] = hashlib.sha256(raw.encode()).hexdigest()[:16]
        return self._content[row_id]


def fresh(rows: list[JsonObject], mark: Watermark, prints: Fingerprints) -> list[JsonObject]:
    """The rows the earlier read did not return as they are now."""
    out = []
    for row in rows:
        rid = str(row["id"])
        same_minute = str(row["last_edited_time"]) == mark.minute and rid in mark.seen
        if same_minute and prints.of(row, mark.open) == mark.seen[rid]:
            continue
        out.append(row)
    return out


def following(rows: list[JsonObject], mark: Watermark, prints: Fingerprints, now: float) -> Watermark | None:
    """The watermark after `rows` were read at `now` (seconds since the epoch)."""
    latest = max(
        [str(r["last_edited_time"]) for r in rows] + ([mark.minute] if mark.minute else []), default=None
    )
    if latest is None:
        return None
    is_open = now < _epoch(latest) + 60 + SETTLE
    at_latest = [r for r in rows if str(r["last_edited_time"]) == latest]
    seen: dict[str, str] = {}
    if latest == mark.minute and mark.open == is_open:
        # Rows of earlier pages of this minute; when the kind of fingerprint changes they are
        # dropped, so such a row may come once more but is never missed.
        seen.update(mark.seen)
    if is_open and len(at_latest) > MAX_CONTENT_CHECKS:
        return Watermark(latest, {}, True)
    seen.update({str(r["id"]): prints.of(r, is_open) for r in at_latest})
    if len(seen) > MAX_FINGERPRINTS:
        seen = {}  # too many to carry: the next read repeats that minute rather than miss a row
    return Watermark(latest, seen, is_open)


def _epoch(minute: str) -> float:
    return datetime.fromisoformat(minute.replace("Z", "+00:00")).timestamp()

"""The line Charter ends what it writes in Notion with: who wrote it, and a reference to the write.

The reference is a digest of the write's idempotency key, so a retry after a lost answer can
find what the earlier attempt created instead of creating it again; the key itself never shows.
"""

from __future__ import annotations

import hashlib

from charter.connectors.base import Attribution


def reference(key: str) -> str:
    """The short, stable reference of an idempotency key."""
    return "ch-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def attribution_line(attribution: Attribution | None, key: str | None = None) -> str:
    """What people see in Notion under the agent's text; with a key, ending with its reference."""
    said = attribution.line() if attribution else "Written through Charter."
    return f"{said} (ref {reference(key)})" if key else said


def carries(text: str, key: str) -> bool:
    """Whether `text` was written by the attempt holding idempotency key `key`."""
    return f"(ref {reference(key)})" in text

"""Redaction: token- and key-shaped strings removed from free text before it is logged or shown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

_SECRETS = [
    re.compile(p)
    for p in (
        r"\bgh[pousr]_[A-Za-z0-9_]{6,}",
        r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}",
        r"(?i)\btoken\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{12,}",
        r"\bya29\.[A-Za-z0-9._-]+",
        r"\bxox[a-z]-[A-Za-z0-9-]+",
        r"\bchg_[A-Za-z0-9_.-]+",
        r"\b(?:secret|ntn)_[A-Za-z0-9]{16,}",
        r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
        # Long random-looking runs (letters and digits mixed): most bearer secrets look like this.
        # Git SHAs and SHA-256 digests (40 or 64 lowercase hex) are kept: a person needs to see them.
        r"(?<![A-Za-z0-9_-])(?![0-9a-f]{40}(?![A-Za-z0-9_-]))(?![0-9a-f]{64}(?![A-Za-z0-9_-]))"
        r"(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])",
    )
]


def redact(text: str) -> str:
    """`text` with anything that looks like a token or key replaced by `[redacted]`."""
    for pattern in _SECRETS:
        text = pattern.sub(REDACTED, text)
    return text


def redact_data(value: Any) -> Any:
    """`redact` applied to every string inside JSON-like data."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


__all__ = ["REDACTED", "redact", "redact_data"]

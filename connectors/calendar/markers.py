"""What Charter writes into events an agent touches: attribution, and a key that finds a lost write."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from charter.connectors.base import Attribution

AGENT_KEY = "charter_agent"
GRANT_KEY = "charter_grant"
WRITE_KEY = "charter_write"


def write_digest(connection: str, key: str) -> str:
    """A short, stable digest of an idempotency key, safe to store in the event."""
    return hashlib.sha256(f"{connection}\x00{key}".encode()).hexdigest()[:32]


def event_id_for(connection: str, key: str) -> str:
    """The event id an insert under `key` uses, so a retried insert can never create a second event.

    Calendar accepts client-chosen ids of 5 to 1024 characters of base32hex (0-9, a-v).
    """
    raw = hashlib.sha256(f"charter-event\x00{connection}\x00{key}".encode()).digest()
    return base64.b32hexencode(raw).decode().rstrip("=").lower()


def private_properties(attribution: Attribution | None, digest: str) -> dict[str, str]:
    """The private extended properties naming the agent, its grant and the write."""
    props = {WRITE_KEY: digest}
    if attribution is not None:
        props |= {AGENT_KEY: attribution.agent, GRANT_KEY: attribution.grant_id}
    return props


def with_properties(event: dict[str, Any], props: dict[str, str]) -> dict[str, Any]:
    """`extendedProperties` of `event` with `props` merged into its private ones."""
    current = event.get("extendedProperties") or {}
    private = {**(current.get("private") or {}), **props}
    return {**current, "private": private}


def written_by(event: dict[str, Any], digest: str) -> bool:
    """Whether `event` carries the marker of the write with this digest."""
    private = (event.get("extendedProperties") or {}).get("private") or {}
    return bool(private.get(WRITE_KEY) == digest)

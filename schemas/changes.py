"""What drafts and writes deal in: a change, its reviewed draft, the result of committing it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from charter.schemas.resources import utcnow


def payload_hash(action: str, payload: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an action and its arguments.

    Approvals and drafts are bound to this hash: any difference in the change, however small,
    gives another hash, so an approval for one payload never applies to another.
    """
    canonical = json.dumps(
        {"action": action, "payload": payload}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Change(BaseModel):
    """Base of every write request model: the arguments of one change to a service."""

    model_config = ConfigDict(extra="forbid")


DraftLocation = Literal["native", "store"]


class Draft(BaseModel):
    """A prepared change nobody else can see yet, with the preview a person reviews."""

    id: str
    connector: str
    connection: str
    action: str
    change: dict[str, Any]
    payload_hash: str
    preview: str
    location: DraftLocation
    native_ref: str | None = Field(
        default=None, description="The service's own id for a native draft (e.g. a draft PR)."
    )
    native_digest: str | None = Field(
        default=None,
        description="The digest of the whole native draft as reviewed; the write sends it only unchanged.",
    )
    url: str | None = None
    agent: str | None = Field(default=None, description="The agent that drafted it, if one did.")
    grant_id: str | None = Field(default=None, description="The grant it was drafted under.")
    created_at: datetime = Field(default_factory=utcnow)
    committed: bool = False


class WriteResult(BaseModel):
    """What a committed write produced."""

    action: str
    id: str
    url: str | None = None
    idempotency_key: str
    replayed: bool = Field(
        default=False,
        description="True when this key had already committed and nothing new was sent.",
    )
    draft_id: str | None = None
    summary: str = ""

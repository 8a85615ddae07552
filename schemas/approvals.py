"""A paused call waiting for a person."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"


class ApprovalRequest(BaseModel):
    """A call held for approval, bound to the hash of the exact payload the person sees."""

    id: str
    grant_id: str
    agent: str
    subject: str
    tool: str
    args: dict[str, Any]
    payload_hash: str
    preview: str
    reasons: list[str]
    status: ApprovalStatus = ApprovalStatus.PENDING
    created_at: datetime
    expires_at: datetime = Field(
        description="While pending, the deadline for a decision; once approved, the deadline to run it."
    )
    decided_at: datetime | None = None
    decided_by: str | None = None
    deny_reason: str | None = None
    consumed: bool = Field(default=False, description="The approved call has run; it never runs twice.")
    verified_by: str | None = Field(
        default=None,
        description="How the person who decided was verified: `passkey:<credential id>`, `cli:tty`, "
        "`cli:no-tty`, `console:session` or `none`; None while undecided.",
    )

"""One audit entry per call: who, on whose behalf, what, the decision, the outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

Decision = Literal["allow", "deny", "approval_required"]
Outcome = Literal["ok", "error", "paused", "denied"]


class AuditEvent(BaseModel):
    """An entry of the hash-chained audit log. Arguments appear only as a digest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    at: datetime
    actor: Literal["agent", "person"]
    agent: str | None
    subject: str
    grant_id: str | None
    action: str
    args_digest: str | None
    decision: Decision | None
    reasons: tuple[str, ...] = ()
    approval_id: str | None = None
    approver: str | None = None
    outcome: Outcome
    error_code: str | None = None
    result_ref: str | None = None
    duration_ms: float | None = None
    # How the person behind a decision was verified (`passkey:<id>`, `cli:tty`, `none`); agents' calls: None.
    verified_by: str | None = None
    prev_hash: str
    hash: str

    @model_serializer(mode="wrap")
    def _shape(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Entries without a verification keep the exact shape (and so the hash) they always had.
        data: dict[str, Any] = handler(self)
        if data.get("verified_by") is None:
            data.pop("verified_by", None)
        return data

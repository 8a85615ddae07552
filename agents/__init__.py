"""The agent layer: the Toolkit runtime, approvals and the draft store (with the audit log it writes)."""

from charter.agents.approvals import ApprovalAlreadyUsed, ApprovalStore
from charter.agents.catalog import ConnectionInfo, VaultLike
from charter.agents.drafts import SQLDraftStore, SQLWriteLedger
from charter.agents.toolkit import Toolkit
from charter.agents.tools import ApprovalPause, Tool, ToolResult
from charter.auth.audit import AuditLog, VerifyReport, redact

__all__ = [
    "ApprovalAlreadyUsed",
    "ApprovalPause",
    "ApprovalStore",
    "AuditLog",
    "ConnectionInfo",
    "SQLDraftStore",
    "SQLWriteLedger",
    "Tool",
    "ToolResult",
    "Toolkit",
    "VaultLike",
    "VerifyReport",
    "redact",
]

"""The agent layer: the Toolkit runtime, approvals, the audit log, and the draft store."""

from charter.agents.approvals import ApprovalAlreadyUsed, ApprovalStore
from charter.agents.audit import AuditLog, VerifyReport, redact
from charter.agents.catalog import ConnectionInfo, VaultLike
from charter.agents.drafts import SQLDraftStore, SQLWriteLedger
from charter.agents.toolkit import Toolkit
from charter.agents.tools import ApprovalPause, Tool, ToolResult

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

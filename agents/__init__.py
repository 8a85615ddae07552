"""The agent layer: the Toolkit runtime, approvals and the draft store (with the audit log it writes).

The names load on first use (PEP 562), so `import charter.agents` costs nothing until a name is
touched: the Toolkit pulls SQLAlchemy, cryptography and the connectors' HTTP clients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from charter.schemas.lazy import lazy_names

if TYPE_CHECKING:
    from charter.agents.approvals import ApprovalAlreadyUsed, ApprovalStore
    from charter.agents.catalog import ConnectionInfo, VaultLike
    from charter.agents.drafts import SQLDraftStore, SQLWriteLedger
    from charter.agents.toolkit import Toolkit
    from charter.agents.tools import ApprovalPause, Tool, ToolResult
    from charter.auth.audit import AuditLog, VerifyReport, redact

# Each public name and the module that defines it.
_HOMES = {
    "ApprovalAlreadyUsed": "charter.agents.approvals",
    "ApprovalPause": "charter.agents.tools",
    "ApprovalStore": "charter.agents.approvals",
    "AuditLog": "charter.auth.audit",
    "ConnectionInfo": "charter.agents.catalog",
    "SQLDraftStore": "charter.agents.drafts",
    "SQLWriteLedger": "charter.agents.drafts",
    "Tool": "charter.agents.tools",
    "ToolResult": "charter.agents.tools",
    "Toolkit": "charter.agents.toolkit",
    "VaultLike": "charter.agents.catalog",
    "VerifyReport": "charter.auth.audit",
    "redact": "charter.auth.audit",
}


__getattr__, __dir__ = lazy_names(globals(), _HOMES)

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

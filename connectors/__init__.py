"""The connector interface, the registry, and one subpackage per service."""

from charter.connectors.base import (
    RISKS,
    ActionSpec,
    Attribution,
    Connector,
    Credentials,
    DraftPreview,
    DraftStore,
    MemoryDraftStore,
    MemoryWriteLedger,
    Risk,
    TokenRejected,
    WriteContext,
    WriteLedger,
    action,
    validate_request,
)
from charter.connectors.registry import connectors, get_connector

__all__ = [
    "RISKS",
    "ActionSpec",
    "Attribution",
    "Connector",
    "Credentials",
    "DraftPreview",
    "DraftStore",
    "MemoryDraftStore",
    "MemoryWriteLedger",
    "Risk",
    "TokenRejected",
    "WriteContext",
    "WriteLedger",
    "action",
    "connectors",
    "get_connector",
    "validate_request",
]

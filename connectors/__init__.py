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
    constrained_fields,
    resource_field,
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
    "constrained_fields",
    "get_connector",
    "resource_field",
    "validate_request",
]

"""The connector interface, the registry, and one subpackage per service.

The httpx helpers load on first use (PEP 562): a connector built on another client library (GitHub's
on PyGithub) never imports httpx.
"""

from typing import TYPE_CHECKING

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
    WriteIntent,
    WriteLedger,
    action,
    constrained_fields,
    recipient_field,
    recipient_fields,
    resource_field,
    validate_request,
)
from charter.connectors.paging import PageTrail
from charter.connectors.registry import connectors, get_connector
from charter.connectors.statuses import error_for_status, rate_limit_exhausted, retry_after
from charter.schemas.lazy import lazy_names

if TYPE_CHECKING:
    from charter.connectors.http import RefreshingAuth, TrafficCount

_HTTP = dict.fromkeys(("RefreshingAuth", "TrafficCount"), "charter.connectors.http")
__getattr__, __dir__ = lazy_names(globals(), _HTTP)

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
    "PageTrail",
    "RefreshingAuth",
    "Risk",
    "TokenRejected",
    "TrafficCount",
    "WriteContext",
    "WriteIntent",
    "WriteLedger",
    "action",
    "connectors",
    "constrained_fields",
    "error_for_status",
    "get_connector",
    "rate_limit_exhausted",
    "recipient_field",
    "recipient_fields",
    "resource_field",
    "retry_after",
    "validate_request",
]

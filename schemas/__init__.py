"""Pydantic models shared by every part of Charter, and its error hierarchy.

Each name loads its module on first use: building the models is most of what importing costs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from charter.schemas.lazy import lazy_names

if TYPE_CHECKING:
    from charter.schemas.approvals import ApprovalRequest, ApprovalStatus
    from charter.schemas.audit import AuditEvent, Decision, Outcome
    from charter.schemas.changes import Change, Draft, DraftLocation, WriteResult, payload_hash
    from charter.schemas.errors import (
        ERRORS_BY_CODE,
        ApprovalRequired,
        AuthRequired,
        CharterError,
        ConfigurationError,
        Conflict,
        DatabaseUnavailable,
        GrantDenied,
        MissingExtra,
        NoAnswer,
        NotFound,
        OutcomeUnknown,
        RateLimited,
        ScopeMissing,
        UpstreamError,
        ValidationError,
    )
    from charter.schemas.extras import EXTRA_MODULES, missing_extra
    from charter.schemas.grants import VERBS, GrantClaims, Verb
    from charter.schemas.resources import Page, Provenance, Resource, utcnow
    from charter.schemas.types import REACHES, RISKS, JsonObject, JsonValue, Reach, Risk

# Each public name and the module that defines it.
_HOMES = {
    "ApprovalRequest": "charter.schemas.approvals",
    "ApprovalStatus": "charter.schemas.approvals",
    "AuditEvent": "charter.schemas.audit",
    "Decision": "charter.schemas.audit",
    "Outcome": "charter.schemas.audit",
    "Change": "charter.schemas.changes",
    "Draft": "charter.schemas.changes",
    "DraftLocation": "charter.schemas.changes",
    "WriteResult": "charter.schemas.changes",
    "payload_hash": "charter.schemas.changes",
    "ERRORS_BY_CODE": "charter.schemas.errors",
    "ApprovalRequired": "charter.schemas.errors",
    "AuthRequired": "charter.schemas.errors",
    "CharterError": "charter.schemas.errors",
    "ConfigurationError": "charter.schemas.errors",
    "Conflict": "charter.schemas.errors",
    "DatabaseUnavailable": "charter.schemas.errors",
    "GrantDenied": "charter.schemas.errors",
    "MissingExtra": "charter.schemas.errors",
    "NoAnswer": "charter.schemas.errors",
    "NotFound": "charter.schemas.errors",
    "OutcomeUnknown": "charter.schemas.errors",
    "RateLimited": "charter.schemas.errors",
    "ScopeMissing": "charter.schemas.errors",
    "UpstreamError": "charter.schemas.errors",
    "ValidationError": "charter.schemas.errors",
    "EXTRA_MODULES": "charter.schemas.extras",
    "missing_extra": "charter.schemas.extras",
    "VERBS": "charter.schemas.grants",
    "GrantClaims": "charter.schemas.grants",
    "Verb": "charter.schemas.grants",
    "Page": "charter.schemas.resources",
    "Provenance": "charter.schemas.resources",
    "Resource": "charter.schemas.resources",
    "utcnow": "charter.schemas.resources",
    "REACHES": "charter.schemas.types",
    "RISKS": "charter.schemas.types",
    "JsonObject": "charter.schemas.types",
    "JsonValue": "charter.schemas.types",
    "Reach": "charter.schemas.types",
    "Risk": "charter.schemas.types",
}

__getattr__, __dir__ = lazy_names(globals(), _HOMES)

__all__ = [
    "ERRORS_BY_CODE",
    "EXTRA_MODULES",
    "REACHES",
    "RISKS",
    "VERBS",
    "ApprovalRequest",
    "ApprovalRequired",
    "ApprovalStatus",
    "AuditEvent",
    "AuthRequired",
    "Change",
    "CharterError",
    "ConfigurationError",
    "Conflict",
    "DatabaseUnavailable",
    "Decision",
    "Draft",
    "DraftLocation",
    "GrantClaims",
    "GrantDenied",
    "JsonObject",
    "JsonValue",
    "MissingExtra",
    "NoAnswer",
    "NotFound",
    "Outcome",
    "OutcomeUnknown",
    "Page",
    "Provenance",
    "RateLimited",
    "Reach",
    "Resource",
    "Risk",
    "ScopeMissing",
    "UpstreamError",
    "ValidationError",
    "Verb",
    "WriteResult",
    "missing_extra",
    "payload_hash",
    "utcnow",
]

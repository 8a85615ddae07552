"""Pydantic models shared by every part of Charter, and its error hierarchy."""

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

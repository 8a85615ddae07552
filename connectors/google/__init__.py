"""Plumbing shared by the connectors over Google APIs (Gmail, Calendar): client, token bridge, errors."""

from charter.connectors.google.errors import (
    GoogleError,
    error_for,
    error_from_http,
    is_rate_limit,
    read_error,
    translate_errors,
)
from charter.connectors.google.service import (
    API_BASE,
    MAX_BATCH,
    BatchFailure,
    GoogleService,
    api_root,
    build_service,
    discovery_document,
)
from charter.connectors.google.transport import ConnectionCredentials, ConnectionHttp, WireResponse

__all__ = [
    "API_BASE",
    "MAX_BATCH",
    "BatchFailure",
    "ConnectionCredentials",
    "ConnectionHttp",
    "GoogleError",
    "GoogleService",
    "WireResponse",
    "api_root",
    "build_service",
    "discovery_document",
    "error_for",
    "error_from_http",
    "is_rate_limit",
    "read_error",
    "translate_errors",
]

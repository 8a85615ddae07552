"""The Google sandbox: Gmail v1 and Calendar v3 of mona@acme.com, Google's OAuth server, batch, quota."""

from charter.sandboxes.google.oauth import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    GOOGLE_TOKENS,
    GoogleOAuth,
)
from charter.sandboxes.google.quota import Quota
from charter.sandboxes.google.sandbox import GoogleSandbox, GoogleSeed, GoogleState

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "GOOGLE_TOKENS",
    "GoogleOAuth",
    "GoogleSandbox",
    "GoogleSeed",
    "GoogleState",
    "Quota",
]

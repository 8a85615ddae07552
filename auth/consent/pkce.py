"""Proof Key for Code Exchange (RFC 7636): the verifier stays here, its S256 challenge travels."""

from __future__ import annotations

import base64
import hashlib
import secrets


def make_verifier() -> str:
    """A high-entropy code verifier: 64 characters from the RFC 7636 §4.1 alphabet."""
    return secrets.token_urlsafe(48)


def s256_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding, per RFC 7636 §4.2."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def make_state() -> str:
    """An unguessable `state` value binding a redirect to the flow that started it (RFC 6749 §10.12)."""
    return secrets.token_urlsafe(24)

"""Proof Key for Code Exchange (RFC 7636): the verifier stays here, its S256 challenge travels."""

from __future__ import annotations

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge


def make_verifier() -> str:
    """A high-entropy code verifier: 64 characters from the RFC 7636 §4.1 alphabet."""
    return str(generate_token(64))


def s256_challenge(verifier: str) -> str:
    """BASE64URL(SHA256(verifier)) without padding, per RFC 7636 §4.2."""
    return str(create_s256_code_challenge(verifier))


def make_state() -> str:
    """An unguessable `state` value binding a redirect to the flow that started it (RFC 6749 §10.12)."""
    return str(generate_token(32))

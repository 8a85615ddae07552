"""Grant tokens: `chg_` + base64url(claims JSON) + "." + base64url(HMAC-SHA256), and their key.

The signing key is `CHARTER_GRANT_KEY` (base64url, for workers sharing one database) or a 0600
file in the Charter home, created atomically so concurrent first starts agree on one key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import stat

import pydantic

from charter.auth.home import CharterHome
from charter.schemas import ConfigurationError, GrantClaims, GrantDenied

TOKEN_PREFIX = "chg_"
KEY_ENV = "CHARTER_GRANT_KEY"
KEY_FILE = "grant-signing.key"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# Unpadded base64url only; whether the last character carries spare bits is checked by re-encoding.
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
# Far above any real grant (a few hundred bytes of claims), far below what could hurt to hash.
MAX_TOKEN_CHARS = 16_384
SIGNATURE_BYTES = hashlib.sha256().digest_size


def _canonical_b64decode(text: str) -> bytes | None:
    """The bytes `text` encodes, only if `text` is their one canonical unpadded base64url form."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    raw = _b64decode(text)
    # A second spelling of the same bytes (spare low bits set in the last character) is refused.
    return raw if _b64encode(raw) == text else None


def canonical(claims: GrantClaims) -> str:
    """The claims as canonical JSON: what is signed and what the server keeps."""
    return json.dumps(claims.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def denied(reason: str, message: str, **details: object) -> GrantDenied:
    """A `GrantDenied` whose details carry a stable machine `reason`."""
    return GrantDenied(message, reason=reason, **details)


def malformed() -> GrantDenied:
    return denied(
        "malformed",
        "this grant token is malformed (a grant token starts with chg_ and comes from "
        "`charter grant create`); ask the person for a valid grant.",
    )


def encode(key: bytes, claims: GrantClaims) -> str:
    """The signed, opaque token for `claims`."""
    body = TOKEN_PREFIX + _b64encode(canonical(claims).encode())
    return f"{body}.{_b64encode(hmac.new(key, body.encode(), hashlib.sha256).digest())}"


def decode(key: bytes, token: object) -> GrantClaims:
    """The claims of a token signed with `key`; `GrantDenied` (malformed or forged) otherwise.

    Only the one canonical spelling of a token is accepted: ASCII, unpadded base64url without
    spare bits, a 32-byte signature. Anything else is `malformed`, whatever it contains.
    """
    if (
        not isinstance(token, str)
        or len(token) > MAX_TOKEN_CHARS
        or not token.isascii()
        or not token.startswith(TOKEN_PREFIX)
        or token.count(".") != 1
    ):
        raise malformed()
    body, signature = token.split(".")
    raw = _canonical_b64decode(body[len(TOKEN_PREFIX) :])
    given = _canonical_b64decode(signature)
    if raw is None or given is None or len(given) != SIGNATURE_BYTES:
        raise malformed()
    expected = hmac.new(key, body.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given):
        raise denied(
            "forged",
            "this grant token's signature does not match: it was altered or issued by another "
            "Charter home. Ask the person for a new grant.",
        )
    try:
        return GrantClaims.model_validate_json(raw)
    except pydantic.ValidationError:
        raise malformed() from None


def signing_key(home: CharterHome) -> bytes:
    """The grant-signing key: `CHARTER_GRANT_KEY` (base64url) or a 0600 file in the home."""
    configured = os.environ.get(KEY_ENV)
    if configured:
        try:
            key = _b64decode(configured.strip())
        except (binascii.Error, ValueError):
            key = b""
        if len(key) < 32:
            raise ConfigurationError(f"{KEY_ENV} must be at least 32 bytes, base64url encoded")
        return key
    path = home.path / KEY_FILE
    if not path.exists():
        # Written whole under a temporary name, then linked into place: a concurrent first start
        # either wins the link or reads the winner's complete key, never a half-written file.
        tmp = path.with_name(f".{KEY_FILE}.{secrets.token_hex(8)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"{path} is readable by other users; run `chmod 600 {path}` "
            "(anyone who reads it can forge grants)"
        )
    key = path.read_bytes()
    if len(key) < 32:
        raise ConfigurationError(f"{path} is damaged (too short); remove it and issue grants again")
    return key


__all__ = ["KEY_ENV", "KEY_FILE", "TOKEN_PREFIX", "canonical", "decode", "denied", "encode", "signing_key"]

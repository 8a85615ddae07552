"""Encryption at rest for the vault: AES-GCM under named keys, so keys can rotate.

Keys come from `CHARTER_KEY` (one base64url key, or `kid:key,kid:key` with the newest first) or
from a key file in the Charter home, generated on first use with mode 0600. Each value is sealed
with a fresh 96-bit nonce and associated data naming its row and field, so a ciphertext copied
into another row or column does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from charter.schemas import ConfigurationError

ENV_VAR = "CHARTER_KEY"
_FORMAT = "v1"
_NONCE_BYTES = 12
_KEY_BYTES = 32


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_key() -> str:
    """A new random 256-bit key, base64url encoded, for `CHARTER_KEY` or a key file."""
    return _b64e(AESGCM.generate_key(bit_length=256))


def _new_kid() -> str:
    return "k" + secrets.token_hex(4)


class KeySet:
    """The vault keys: the first one encrypts, any of them decrypts."""

    def __init__(self, keys: Mapping[str, bytes], *, source: str = "keys") -> None:
        if not keys:
            raise ConfigurationError(
                f"no vault key in {source}; set {ENV_VAR} or remove it to use a key file"
            )
        for kid, key in keys.items():
            if len(key) != _KEY_BYTES or not kid or ":" in kid or "." in kid:
                raise ConfigurationError(
                    f"vault key {kid!r} in {source} is not a 32-byte base64url key with a plain id; "
                    f"create one with `python -c 'from charter.auth.crypto import generate_key; "
                    f"print(generate_key())'`"
                )
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self.primary = next(iter(keys))
        self.source = source

    def __repr__(self) -> str:
        return f"KeySet(kids={list(self._keys)}, primary={self.primary!r}, source={self.source!r})"

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    @classmethod
    def parse(cls, text: str, *, source: str) -> KeySet:
        """Keys written as `key` or `kid:key` entries separated by commas or newlines."""
        keys: dict[str, bytes] = {}
        entries = [e.strip() for e in text.replace("\n", ",").split(",") if e.strip()]
        for n, entry in enumerate(entries):
            kid, _, encoded = entry.rpartition(":")
            kid = kid or ("default" if n == 0 else f"key{n}")
            try:
                keys[kid] = _b64d(encoded)
            except (binascii.Error, ValueError):
                raise ConfigurationError(
                    f"vault key {kid!r} in {source} is not valid base64url; "
                    "each entry must be `kid:key` with a 32-byte base64url key"
                ) from None
        return cls(keys, source=source)

    def encrypt(self, plaintext: str, aad: bytes) -> str:
        """Seal `plaintext` under the primary key, bound to `aad` (its row and field)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[self.primary].encrypt(nonce, plaintext.encode("utf-8"), aad)
        return f"{_FORMAT}.{self.primary}.{_b64e(nonce + sealed)}"

    def key_id(self, ciphertext: str) -> str:
        """The id of the key that sealed `ciphertext`."""
        return ciphertext.split(".", 2)[1]

    def decrypt(self, ciphertext: str, aad: bytes) -> str:
        """Open a value sealed by `encrypt`; a clear ConfigurationError when the key cannot."""
        fmt, kid, body = [*ciphertext.split(".", 2), "", ""][:3]
        if fmt != _FORMAT or not body:
            raise ConfigurationError(
                "a vault value is not in Charter's encrypted format; the database is damaged"
            )
        cipher = self._keys.get(kid)
        if cipher is None:
            raise ConfigurationError(
                f"the vault value was encrypted with key {kid!r}, which {self.source} does not hold "
                f"(it holds {', '.join(self._keys)}); restore that key, or connect again"
            )
        raw = _b64d(body)
        try:
            return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], aad).decode("utf-8")
        except InvalidTag:
            raise ConfigurationError(
                f"vault key {kid!r} from {self.source} does not open this value: the key was replaced "
                "or the database was altered; restore the original key, or connect again"
            ) from None


def _check_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigurationError(
            f"vault key file {path} is readable by other users (mode {mode:o}); "
            f"run `chmod 600 {path}` and check who may have read it"
        )


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def create_key_file(path: Path) -> None:
    """Write a new key file holding one generated key, readable only by its owner.

    The key is written aside and linked into place, so a concurrent reader never sees a half file
    and two processes starting together agree on one key (FileExistsError for the loser).
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    _write_private(tmp, f"{_new_kid()}:{generate_key()}\n")
    try:
        os.link(tmp, path)
    finally:
        tmp.unlink()


def add_key_to_file(path: Path) -> str:
    """Put a new primary key at the top of the key file, keeping the old ones; return its id."""
    _check_private(path)
    kid = _new_kid()
    old = path.read_text()
    tmp = path.with_name(path.name + ".new")
    _write_private(tmp, f"{kid}:{generate_key()}\n{old}")
    os.replace(tmp, path)
    return kid


def drop_keys_from_file(path: Path, keep: set[str]) -> None:
    """Rewrite the key file with only the keys in `keep` (after a rotation re-encrypted the vault)."""
    _check_private(path)
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and ln.split(":", 1)[0] in keep]
    if not lines:
        raise ConfigurationError(f"refusing to remove every key from {path}: the vault could not be opened")
    tmp = path.with_name(path.name + ".new")
    _write_private(tmp, "".join(f"{ln}\n" for ln in lines))
    os.replace(tmp, path)


def load_keys(key_file: Path, environ: Mapping[str, str] | None = None) -> KeySet:
    """The vault keys from `CHARTER_KEY`, else from `key_file` (created 0600 when missing)."""
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return KeySet.parse(env[ENV_VAR], source=f"${ENV_VAR}")
    if not key_file.exists():
        # Another process may create it first; then its key is the one to use.
        with contextlib.suppress(FileExistsError):
            create_key_file(key_file)
    _check_private(key_file)
    return KeySet.parse(key_file.read_text(), source=f"key file {key_file}")

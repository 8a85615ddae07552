"""A software passkey (P-256, WebAuthn assertion format) for tests that need genuine signed answers."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftPasskey:
    """Signs assertions as an authenticator with user verification does, for the host `localhost`."""

    def __init__(self, credential_id: str | None = None) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = credential_id or b64(os.urandom(16))
        self.count = 0

    def public_key(self) -> str:
        """The COSE public key, base64url, as registration stores it."""
        numbers = self.key.public_key().public_numbers()
        cose = {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        return b64(cbor2.dumps(cose))

    def answer(self, challenge: bytes, origin: str = "http://localhost:8770") -> str:
        """The assertion JSON `navigator.credentials.get` gives the console for `challenge`."""
        self.count += 1
        auth = hashlib.sha256(b"localhost").digest() + bytes([0x05]) + self.count.to_bytes(4, "big")
        client = json.dumps(
            {"type": "webauthn.get", "challenge": b64(challenge), "origin": origin, "crossOrigin": False}
        ).encode()
        signature = self.key.sign(auth + hashlib.sha256(client).digest(), ec.ECDSA(hashes.SHA256()))
        response = {
            "authenticatorData": b64(auth),
            "clientDataJSON": b64(client),
            "signature": b64(signature),
        }
        return json.dumps(
            {
                "id": self.credential_id,
                "rawId": self.credential_id,
                "type": "public-key",
                "response": response,
            }
        )

"""The person's passkey answer, kept with an approval and checked again before the approved call runs.

The console asks the passkey with a challenge bound to one approval: 16 random bytes, then the
SHA-256 of `charter:approve:<approval id>:<payload hash>`. The signed answer (authenticator data,
client data JSON, signature, credential id) is stored with the decision; at resume the Toolkit
verifies it against the registered credential's public key and that approval's exact payload hash.
So a process that writes the database and names a passkey id, with a made-up answer or one copied
from another approval, runs nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from charter.agents.person import Passkey
from charter.schemas import ApprovalRequest, GrantDenied

RP_ID = "localhost"  # the console's passkeys are for this host name (WebAuthn needs one, not an IP)
NONCE_BYTES = 16
_ORIGIN = re.compile(r"^http://localhost:[0-9]{1,5}$")


class PasskeyProofRefused(GrantDenied):
    """An approval's stored passkey answer is missing, unreadable, or does not verify for it."""


def binding(approval_id: str, payload_hash: str) -> bytes:
    """What ties a passkey answer to one approval of one exact payload."""
    return hashlib.sha256(f"charter:approve:{approval_id}:{payload_hash}".encode()).digest()


def approval_challenge(nonce: bytes, approval_id: str, payload_hash: str) -> bytes:
    """The challenge the console asks the passkey to sign for approving `approval_id`."""
    return nonce + binding(approval_id, payload_hash)


def _b64(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not base64url text")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def check_answer(passkey: Passkey, request: ApprovalRequest, answer: str | None) -> None:
    """Verify the stored answer was signed by `passkey` for exactly `request`; else refuse."""
    try:
        credential = json.loads(answer or "")
        client_data = json.loads(_b64(credential["response"]["clientDataJSON"]))
        challenge = _b64(client_data["challenge"])
        origin = str(client_data["origin"])
    except (ValueError, KeyError, TypeError):
        raise _refused(request, "is missing or unreadable") from None
    if credential.get("id") != passkey.credential_id:
        raise _refused(request, "was made with another credential")
    expected = binding(request.id, request.payload_hash)
    if len(challenge) != NONCE_BYTES + len(expected) or challenge[NONCE_BYTES:] != expected:
        raise _refused(request, "was made for another decision")
    if not _ORIGIN.fullmatch(origin):
        raise _refused(request, "was not made in the console")
    _verify(passkey, request, credential, challenge, origin)


def _verify(
    passkey: Passkey, request: ApprovalRequest, credential: object, challenge: bytes, origin: str
) -> None:
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse

    try:
        verify_authentication_response(
            credential=credential,  # type: ignore[arg-type]
            expected_challenge=challenge,
            expected_rp_id=RP_ID,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            # The counter moved on when the console checked this answer; the binding and the
            # approval's single use are what stop a replay here.
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        raise _refused(request, "does not verify with the registered passkey") from None


def _refused(request: ApprovalRequest, why: str) -> PasskeyProofRefused:
    return PasskeyProofRefused(
        f"approval {request.id} names the person's passkey, but its signed answer {why}; nothing "
        "was run. Ask the person to decide again in `charter console`.",
        reason="passkey_proof_invalid",
        approval_id=request.id,
    )


__all__ = ["RP_ID", "PasskeyProofRefused", "approval_challenge", "binding", "check_answer"]

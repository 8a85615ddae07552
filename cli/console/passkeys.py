"""Passkey ceremonies (WebAuthn) for the console, verified server-side with the `webauthn` library.

Each ceremony's challenge is made for one purpose (registering, approving one request with its exact
payload hash, creating a grant) and used once; an assertion made for one approval cannot approve
another, nor the same one twice. User verification is required, so a passkey proves the person was
there, not only that the authenticator was plugged in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from charter.agents.person import PasskeyStore
from charter.cli.console.session import ConsoleSession
from charter.schemas import GrantDenied

RP_NAME = "Charter console"


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: WebAuthn needs a host name (`localhost`), never an IP address."""

    rp_id: str
    origin: str


class PasskeyRefused(GrantDenied):
    """A passkey assertion or registration that does not verify."""


def registration_options(rp: RelyingParty, store: PasskeyStore, session: ConsoleSession, person: str) -> str:
    """The JSON options for `navigator.credentials.create`, excluding passkeys already registered."""
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=RP_NAME,
        user_name=person,
        user_display_name=person,
        challenge=session.challenge("register"),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(store),
    )
    return options_to_json(options)


def register(
    rp: RelyingParty, store: PasskeyStore, session: ConsoleSession, credential: Any, label: str
) -> str:
    """Verify a new passkey and keep it; returns its credential id."""
    challenge = session.take_challenge("register")
    if challenge is None:
        raise PasskeyRefused("no registration was started; press Register again", reason="no_challenge")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except InvalidRegistrationResponse as exc:
        raise PasskeyRefused(f"the passkey did not verify: {exc}", reason="passkey_invalid") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    store.add(credential_id, bytes_to_base64url(verified.credential_public_key), verified.sign_count, label)
    return credential_id


def assertion_options(
    rp: RelyingParty,
    store: PasskeyStore,
    session: ConsoleSession,
    purpose: str,
    make: Callable[[bytes], bytes] | None = None,
) -> str:
    """The JSON options for `navigator.credentials.get`, for one purpose (e.g. `approve:<id>:<hash>`);
    `make` binds the challenge to what is decided (an approval's id and payload hash)."""
    options = generate_authentication_options(
        rp_id=rp.rp_id,
        challenge=session.challenge(purpose, make),
        allow_credentials=_descriptors(store),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def verify_assertion(
    rp: RelyingParty, store: PasskeyStore, session: ConsoleSession, purpose: str, assertion: str
) -> str:
    """Check a passkey assertion made for `purpose`; returns `passkey:<credential id>`."""
    challenge = session.take_challenge(purpose)
    if challenge is None:
        raise PasskeyRefused(
            "this decision was not asked of the passkey (or was already answered); try again",
            reason="no_challenge",
        )
    try:
        credential = json.loads(assertion)
        passkey = store.get(str(credential["id"]))
    except (ValueError, KeyError, TypeError):
        raise PasskeyRefused("the passkey answer is not readable", reason="passkey_invalid") from None
    if passkey is None:
        raise PasskeyRefused("that passkey is not registered in this home", reason="passkey_unknown")
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except InvalidAuthenticationResponse as exc:
        raise PasskeyRefused(f"the passkey did not verify: {exc}", reason="passkey_invalid") from None
    if not store.used(passkey.credential_id, passkey.sign_count, verified.new_sign_count):
        raise PasskeyRefused("the passkey was used at the same moment elsewhere", reason="passkey_replayed")
    return f"passkey:{passkey.credential_id}"


def _descriptors(store: PasskeyStore) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id)) for p in store.list()]


__all__ = [
    "PasskeyRefused",
    "RelyingParty",
    "assertion_options",
    "register",
    "registration_options",
    "verify_assertion",
]

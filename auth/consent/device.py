"""Consent for a headless machine: the device authorization grant (RFC 8628)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable

from charter.auth.consent.errors import DeviceCodeExpired
from charter.auth.consent.oauth import DevicePending, OAuthClient
from charter.auth.consent.tokens import TokenSet

# RFC 8628 §3.5: on slow_down the interval grows by 5 seconds for this and later polls.
SLOW_DOWN_STEP = 5.0


def print_user_code(user_code: str, verification_uri: str) -> None:
    """The default: tell the person where to go and what to type."""
    print(f"To connect, open {verification_uri} and enter the code {user_code}", file=sys.stderr)


def run_device_flow(
    client: OAuthClient,
    *,
    scopes: Iterable[str],
    show: Callable[[str, str], object] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> TokenSet:
    """Show the user code, poll until the person approves it, and return the tokens."""
    # Hand-written: authlib sends each poll (`poll_device`) but has no loop honouring RFC 8628's waits.
    requested = frozenset(scopes)
    grant = client.device_authorization(requested)
    (show or print_user_code)(grant.user_code, grant.verification_uri)
    interval = grant.interval
    deadline = clock() + grant.expires_in
    while clock() < deadline:
        sleep(interval)
        result = client.poll_device(grant.device_code, requested)
        if not isinstance(result, DevicePending):
            return result
        if result.error == "slow_down":
            interval = (
                result.interval
                if result.interval and result.interval > interval
                else interval + SLOW_DOWN_STEP
            )
    raise DeviceCodeExpired(
        f"the {client.provider.display_name} code {grant.user_code} expired before it was approved; "
        "connect again and enter the new code"
    )

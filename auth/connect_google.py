"""Connect a Google service (Gmail, Calendar) with incremental authorization.

A connection asks only for the scopes of the actions the person enables, plus the identity scopes
that name the account. Google's `include_granted_scopes=true` makes the new token carry every scope
granted earlier too, so enabling more actions later asks only for what is new and the vault keeps
one connection per account with the union of granted scopes. Google sends a refresh token on the
first offline consent only, so `prompt=consent` is added exactly when one is needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import httpx

from charter.auth.connect import connect
from charter.auth.providers.google import CONSENT_PROMPT, GOOGLE, IDENTITY_SCOPES
from charter.auth.vault import Connection, Vault


def google_scopes(needed: Iterable[str]) -> list[str]:
    """What to ask Google for: the scopes the enabled actions need, and the identity scopes."""
    return sorted(set(needed) | set(IDENTITY_SCOPES))


def connect_google(
    vault: Vault,
    service: str,
    *,
    scopes: Iterable[str],
    client_id: str,
    client_secret: str | None = None,
    oauth_base: str | None = None,
    api_base: str | None = None,
    account: str | None = None,
    open_browser: Callable[[str], object] | None = None,
    timeout: float = 300.0,
    http: httpx.Client | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> Connection:
    """Ask Google for `scopes` for `service` and save (or widen) the account's connection.

    `account` names the Google account expected (a hint for Google's account chooser); without it,
    the service's only active connection at this API base is the one being widened, if there is one.
    """
    api = (api_base or GOOGLE.default_api_base).rstrip("/")
    known = _active(vault, service, api, account)
    params = {"login_hint": known.account} if known is not None else dict(CONSENT_PROMPT)

    def run(extra: dict[str, str]) -> Connection:
        return connect(
            vault,
            GOOGLE,
            scopes=google_scopes(scopes),
            client_id=client_id,
            client_secret=client_secret,
            oauth_base=oauth_base,
            api_base=api,
            service=service,
            open_browser=open_browser,
            timeout=timeout,
            sleep=sleep,
            http=http,
            authorize_params=extra,
        )

    connection = run(params)
    if known is None or connection.account == known.account or "prompt" in params:
        return connection
    # The person chose another account than the hinted one, which had no refresh token here yet:
    # ask once more, with the consent prompt, so this connection can refresh itself.
    return run({**params, **CONSENT_PROMPT, "login_hint": connection.account})


def _active(vault: Vault, service: str, api_base: str, account: str | None) -> Connection | None:
    """The active connection being widened: the named account's, or the service's only one."""
    found = [
        c
        for c in vault.connections(service)
        if c.status == "active"
        and c.api_base.rstrip("/") == api_base
        and (account is None or c.account == account)
    ]
    return found[0] if len(found) == 1 else None


__all__ = ["connect_google", "google_scopes"]

"""What a connector knows of a connection, and one access token per call.

The vault refreshes single-flight keyed to the rejected token: a caller whose token another caller
already replaced gets the new one instead of refreshing again. That only works if the connector
says which token was rejected, not whichever the vault holds by the time the 401 arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class TokenRejected(Exception):
    """Raised by a connector when the provider rejected the access token (HTTP 401).

    The connector base answers it with one refresh and one retry; it never leaves the connector.
    """


class Credentials(Protocol):
    """What a connector may know of a connection: a fresh access token and the granted scopes."""

    @property
    def connection_id(self) -> str: ...

    @property
    def account(self) -> str: ...

    @property
    def granted_scopes(self) -> frozenset[str]: ...

    def access_token(self) -> str:
        """A token valid now, refreshed first if it is about to expire."""
        ...

    def refresh(self, rejected: str) -> str:
        """Refresh after the provider rejected `rejected`; single-flight across callers."""
        ...


class PinnedCredentials:
    """`Credentials` whose token stays the same for the length of one call on one thread."""

    def __init__(self, inner: Credentials) -> None:
        self.inner = inner
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"<PinnedCredentials {self.inner!r}>"

    def __getattr__(self, name: str) -> object:
        # Anything else the wrapped credentials offer (a test's counters, a vault's extras).
        if name.startswith("__") or name in ("inner", "_local"):
            raise AttributeError(name)
        return getattr(self.inner, name)

    @property
    def connection_id(self) -> str:
        return self.inner.connection_id

    @property
    def account(self) -> str:
        return self.inner.account

    @property
    def granted_scopes(self) -> frozenset[str]:
        return self.inner.granted_scopes

    def access_token(self) -> str:
        """The call's token (fetched on first use), or a fresh one outside any call."""
        if not getattr(self._local, "depth", 0):
            return self.inner.access_token()
        token: str | None = getattr(self._local, "token", None)
        if token is None:
            token = self._local.token = self.inner.access_token()
        return token

    def refresh(self, rejected: str) -> str:
        """Refresh, and inside a call send the new token from now on (else its next request would
        send the rejected one again and cost a second refresh)."""
        token = self.inner.refresh(rejected)
        if getattr(self._local, "depth", 0):
            self._local.token = token
        return token

    def refresh_rejected(self) -> None:
        """After a 401 in this call: refresh the token it sent, and send the new one from now on."""
        rejected: str | None = getattr(self._local, "token", None)
        if rejected is None:
            rejected = self.inner.access_token()
        self.refresh(rejected)

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Hold one token for the calls made inside (nested calls share the outer one's)."""
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                self._local.token = None


__all__ = ["Credentials", "PinnedCredentials"]

"""OAuth tokens an emulated provider has issued: expiry, rotation, revocation, reuse detection.

Shared by every sandbox's OAuth server; the values look like the provider's own (a prefix plus
random characters) and never appear in a repr, a log line or the request log.
"""

from __future__ import annotations

import secrets
import string
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from charter.sandboxes.clock import Clock

_ALPHABET = string.ascii_letters + string.digits


def random_token(prefix: str, length: int) -> str:
    """`prefix` followed by `length` random letters and digits."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


@dataclass
class AccessToken:
    """An issued access token and what it may do."""

    value: str = field(repr=False)
    login: str
    scopes: frozenset[str]
    client_id: str
    expires_at: float | None
    family: str = field(repr=False)
    revoked: bool = False

    def is_valid(self, now: float) -> bool:
        """Usable right now: neither revoked nor expired."""
        return not self.revoked and (self.expires_at is None or now < self.expires_at)


@dataclass
class RefreshToken:
    """An issued refresh token; `rotated` once it has been exchanged (single use)."""

    value: str = field(repr=False)
    login: str
    scopes: frozenset[str]
    client_id: str
    expires_at: float | None
    family: str = field(repr=False)
    rotated: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class IssuedTokens:
    """What a token endpoint hands out; the secrets are hidden from repr."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    scopes: frozenset[str]
    expires_in: int | None
    refresh_token_expires_in: int | None
    login: str


class RefreshRejected(Exception):
    """A refresh token that is unknown, expired, revoked or already used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TokenFormat:
    """How a provider's tokens look and how long they live."""

    access_prefix: str = "sbx_"
    access_length: int = 36
    refresh_prefix: str = "sbr_"
    refresh_length: int = 76
    access_ttl: int | None = 8 * 3600
    refresh_ttl: int | None = 184 * 24 * 3600


class TokenStore:
    """Every token a sandbox's OAuth server issued; thread-safe, reset between tests."""

    def __init__(self, clock: Clock, fmt: TokenFormat | None = None) -> None:
        self.clock = clock
        self.format = fmt or TokenFormat()
        self._lock = threading.RLock()
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}
        self.refreshes = 0
        self.refresh_reuses = 0

    def __repr__(self) -> str:
        return f"TokenStore(access={len(self._access)}, refresh={len(self._refresh)})"

    def reset(self) -> None:
        """Forget every token and counter."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()
            self.refreshes = 0
            self.refresh_reuses = 0

    def issue(
        self,
        login: str,
        scopes: Iterable[str],
        client_id: str,
        *,
        expires_in: int | None = -1,
        refresh: bool = True,
        family: str | None = None,
    ) -> IssuedTokens:
        """Mint an access token (and a refresh token); `expires_in=-1` means the format's default."""
        fmt = self.format
        ttl = fmt.access_ttl if expires_in == -1 else expires_in
        now = self.clock.now()
        granted = frozenset(scopes)
        fam = family or secrets.token_hex(8)
        access = AccessToken(
            value=random_token(fmt.access_prefix, fmt.access_length),
            login=login,
            scopes=granted,
            client_id=client_id,
            expires_at=None if ttl is None else now + ttl,
            family=fam,
        )
        refresh_value: str | None = None
        with self._lock:
            self._access[access.value] = access
            if refresh:
                refresh_value = self._add_refresh(login, granted, client_id, fam, now)
        return IssuedTokens(
            access_token=access.value,
            refresh_token=refresh_value,
            scopes=granted,
            expires_in=ttl,
            refresh_token_expires_in=fmt.refresh_ttl if refresh else None,
            login=login,
        )

    def _add_refresh(
        self, login: str, scopes: frozenset[str], client_id: str, family: str, now: float
    ) -> str:
        fmt = self.format
        token = RefreshToken(
            value=random_token(fmt.refresh_prefix, fmt.refresh_length),
            login=login,
            scopes=scopes,
            client_id=client_id,
            expires_at=None if fmt.refresh_ttl is None else now + fmt.refresh_ttl,
            family=family,
        )
        self._refresh[token.value] = token
        return token.value

    def lookup(self, value: str) -> AccessToken | None:
        """The access token if it exists and is valid now, else None."""
        with self._lock:
            token = self._access.get(value)
        if token is None or not token.is_valid(self.clock.now()):
            return None
        return token

    def rotate(
        self, refresh_value: str, client_id: str, *, keep: bool = False, reuse: bool = False
    ) -> IssuedTokens:
        """Exchange a refresh token for new tokens; the old refresh token stops working.

        With `keep` (Google's behaviour) only a new access token is issued and the refresh token
        stays valid; the result's `refresh_token` is then None. With `reuse` (Microsoft's) a new
        refresh token is issued but the old one is still taken until it expires; each second use
        is counted in `refresh_reuses` all the same.
        """
        with self._lock:
            rt = self._refresh.get(refresh_value)
            if rt is None or rt.client_id != client_id or rt.revoked:
                raise RefreshRejected("unknown or revoked refresh token")
            if rt.rotated:
                self.refresh_reuses += 1
                if not reuse:
                    raise RefreshRejected("refresh token already used")
            if rt.expires_at is not None and self.clock.now() >= rt.expires_at:
                raise RefreshRejected("refresh token expired")
            self.refreshes += 1
            if keep:
                return self.issue(rt.login, rt.scopes, client_id, family=rt.family, refresh=False)
            rt.rotated = True
            return self.issue(rt.login, rt.scopes, client_id, family=rt.family)

    def revoke(self, access_value: str) -> bool:
        """Revoke an access token and everything issued with it; False if unknown."""
        with self._lock:
            token = self._access.get(access_value)
            if token is None:
                return False
            self._revoke_family(token.family)
            return True

    def revoke_grant(self, value: str) -> bool:
        """Revoke every token its account holds for the same client, found by any one of them.

        This is what revoking does at Google: the app loses the whole grant, not only the token sent.
        """
        with self._lock:
            token: AccessToken | RefreshToken | None = self._access.get(value) or self._refresh.get(value)
            if token is None:
                return False
            login, client_id = token.login, token.client_id
            for access in self._access.values():
                if access.login == login and access.client_id == client_id:
                    access.revoked = True
            for refresh in self._refresh.values():
                if refresh.login == login and refresh.client_id == client_id:
                    refresh.revoked = True
            return True

    def lookup_refresh(self, value: str) -> RefreshToken | None:
        """The refresh token if it exists, whatever its state (for inspection in tests)."""
        with self._lock:
            return self._refresh.get(value)

    def _revoke_family(self, family: str) -> None:
        for a in self._access.values():
            if a.family == family:
                a.revoked = True
        for r in self._refresh.values():
            if r.family == family:
                r.revoked = True

    def revoke_all(self, login: str | None = None) -> int:
        """Revoke every token (of one person if `login` is given); returns how many access tokens."""
        with self._lock:
            hit = [a for a in self._access.values() if login is None or a.login == login]
            for a in hit:
                self._revoke_family(a.family)
            for r in self._refresh.values():
                if login is None or r.login == login:
                    r.revoked = True
            return len(hit)

    def expire_access_tokens(self) -> int:
        """Make every access token issued so far expire now; refresh tokens keep working."""
        now = self.clock.now()
        with self._lock:
            for a in self._access.values():
                a.expires_at = now
            return len(self._access)

    def expire_refresh_tokens(self) -> int:
        """Make every refresh token issued so far expire now."""
        now = self.clock.now()
        with self._lock:
            for r in self._refresh.values():
                r.expires_at = now
            return len(self._refresh)

    def active(self, login: str | None = None) -> list[AccessToken]:
        """Access tokens usable right now (for inspection in tests)."""
        now = self.clock.now()
        with self._lock:
            return [
                a for a in self._access.values() if a.is_valid(now) and (login is None or a.login == login)
            ]

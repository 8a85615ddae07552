"""The tokens a flow or a refresh produced, with a repr that never shows them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, repr=False)
class TokenSet:
    """Access and refresh tokens with their expiry and the scopes the provider actually granted."""

    access_token: str = field(repr=False)
    token_type: str = "bearer"
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    refresh_expires_at: float | None = None
    scopes: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return (
            f"TokenSet(token_type={self.token_type!r}, scopes={sorted(self.scopes)!r}, "
            f"expires_at={self.expires_at!r}, refresh_token={'<set>' if self.refresh_token else None})"
        )

    __str__ = __repr__

    def expires_within(self, seconds: float, now: float) -> bool:
        """True when the access token is expired or will be within `seconds`."""
        return self.expires_at is not None and self.expires_at - now <= seconds

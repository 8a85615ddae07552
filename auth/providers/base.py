"""What Charter knows of an OAuth provider: its endpoints and its scope catalog."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Endpoints:
    """A provider's OAuth endpoints; the sandboxes serve the same paths on loopback."""

    authorize: str
    token: str
    device_code: str | None = None
    revoke: str | None = None
    api_base: str | None = None


@dataclass(frozen=True)
class Provider:
    """An OAuth provider. `implies` maps a scope to the narrower scopes it includes."""

    name: str
    display_name: str
    scope_separator: str = " "
    implies: Mapping[str, frozenset[str]] = field(default_factory=dict)
    supports_pkce: bool = True
    supports_device_flow: bool = False

    def expand(self, scopes: Iterable[str]) -> frozenset[str]:
        """Every scope that `scopes` grant, the implied ones included."""
        out: set[str] = set()
        todo = list(scopes)
        while todo:
            scope = todo.pop()
            if scope not in out:
                out.add(scope)
                todo.extend(self.implies.get(scope, ()))
        return frozenset(out)

    def missing_scopes(self, granted: Iterable[str], needed: Iterable[str]) -> frozenset[str]:
        """The needed scopes that the granted ones do not cover."""
        return frozenset(needed) - self.expand(granted)

    def parse_scopes(self, raw: str | None) -> frozenset[str]:
        """Scopes as the token endpoint reports them (GitHub uses commas, most use spaces)."""
        if not raw:
            return frozenset()
        parts = raw.replace(",", " ").split() if self.scope_separator == "," else raw.split()
        return frozenset(p.strip() for p in parts if p.strip())

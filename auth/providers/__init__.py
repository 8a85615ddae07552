"""OAuth providers Charter knows, by name."""

from __future__ import annotations

from charter.auth.providers.base import AccountLookup, ClientAuth, Endpoints, Provider, Revoker
from charter.auth.providers.github import GITHUB, github_endpoints
from charter.auth.providers.google import GOOGLE, google_endpoints
from charter.schemas import ConfigurationError

PROVIDERS: dict[str, Provider] = {p.name: p for p in (GITHUB, GOOGLE)}


def get_provider(name: str) -> Provider:
    """The provider called `name`, or a clear error listing the known ones."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown provider {name!r}; known: {', '.join(sorted(PROVIDERS))}"
        ) from None


__all__ = [
    "GITHUB",
    "GOOGLE",
    "PROVIDERS",
    "AccountLookup",
    "ClientAuth",
    "Endpoints",
    "Provider",
    "Revoker",
    "get_provider",
    "github_endpoints",
    "google_endpoints",
]

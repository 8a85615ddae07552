"""OAuth providers Charter knows, by name: its own, and those plugins register by entry point."""

from __future__ import annotations

import os
from functools import cache
from importlib.metadata import entry_points

from charter.auth.providers.base import AccountLookup, ClientAuth, Endpoints, Provider, Revoker
from charter.auth.providers.github import GITHUB, github_endpoints
from charter.auth.providers.google import GOOGLE, google_endpoints
from charter.auth.providers.microsoft import MICROSOFT, microsoft_endpoints
from charter.auth.providers.notion import NOTION, notion_endpoints
from charter.schemas import ConfigurationError

PROVIDERS: dict[str, Provider] = {p.name: p for p in (GITHUB, GOOGLE, MICROSOFT, NOTION)}
GROUP = "charter.providers"


@cache
def providers() -> dict[str, Provider]:
    """Every known provider: the built-ins, then those registered under `charter.providers`.

    CHARTER_DISABLE_PLUGINS=1 keeps to the built-ins, as it does for connectors.
    """
    found = dict(PROVIDERS)
    if os.environ.get("CHARTER_DISABLE_PLUGINS") == "1":
        return found
    for ep in entry_points(group=GROUP):
        try:
            provider = ep.load()
        except ImportError as exc:
            raise ConfigurationError(f"provider plugin {ep.name!r} failed to import: {exc}") from None
        if not isinstance(provider, Provider):
            raise ConfigurationError(f"entry point {ep.name!r} in {GROUP} does not name a Provider")
        # A plugin cannot replace a built-in provider's endpoints or scope catalog.
        found.setdefault(provider.name, provider)
    return found


def get_provider(name: str) -> Provider:
    """The provider called `name`, or a clear error listing the known ones."""
    known = providers()
    try:
        return known[name]
    except KeyError:
        raise ConfigurationError(
            f"unknown provider {name!r}; known: {', '.join(sorted(known))}. A connector plugin "
            f"registers its provider under the {GROUP!r} entry-point group."
        ) from None


__all__ = [
    "GITHUB",
    "GOOGLE",
    "MICROSOFT",
    "NOTION",
    "PROVIDERS",
    "AccountLookup",
    "ClientAuth",
    "Endpoints",
    "Provider",
    "Revoker",
    "get_provider",
    "github_endpoints",
    "google_endpoints",
    "microsoft_endpoints",
    "notion_endpoints",
    "providers",
]

"""Connectors are found through the entry-point group `charter.connectors`, built-ins included."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points

from charter.auth.policy_check import DeclaredAction
from charter.connectors.base import ActionSpec, Connector, recipient_fields
from charter.schemas import ConfigurationError, MissingExtra, missing_extra

GROUP = "charter.connectors"
BUILTIN_PREFIX = "charter."
# The pip extra that installs each built-in connector's client library, where it differs from its name.
EXTRAS = {"gmail": "google", "calendar": "google", "sharepoint": "microsoft"}


# Built-in connectors whose extra is not installed, by entry-point name, with the error that says so.
_ABSENT: dict[str, MissingExtra] = {}


@cache
def connectors() -> dict[str, type[Connector]]:
    """Every installed connector class by name.

    Set CHARTER_DISABLE_PLUGINS=1 to load only Charter's own connectors when a plugin breaks.
    """
    only_builtin = os.environ.get("CHARTER_DISABLE_PLUGINS") == "1"
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=GROUP):
        if only_builtin and not ep.value.startswith(BUILTIN_PREFIX):
            continue
        try:
            cls = ep.load()
        except ImportError as exc:
            # A built-in connector whose optional extra is not installed is absent, and remembered so
            # that asking for it names the extra.
            missing = missing_extra(exc)
            if ep.value.startswith(BUILTIN_PREFIX) and missing is not None:
                _ABSENT[ep.name] = missing
                continue
            raise ConfigurationError(f"connector plugin {ep.name!r} failed to import: {exc}") from None
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConfigurationError(f"entry point {ep.name!r} does not name a Connector subclass")
        found[cls.name] = cls
    return found


def get_connector(name: str) -> type[Connector]:
    """The connector class called `name`, or an error saying which extra installs it."""
    found = connectors()
    if name not in found and name in _ABSENT:
        raise _ABSENT[name]
    if name not in found:
        raise ConfigurationError(
            f"no connector {name!r} is installed (installed: {', '.join(sorted(found)) or 'none'}); "
            f"install it, e.g. pip install 'charter[{EXTRAS.get(name, name)}]'"
        )
    return found[name]


def _variable_reach(cls: type[Connector], spec: ActionSpec) -> bool:
    # Recipient fields or the connector's own reach_for decide per call (see Connector.reach_for).
    return cls.reach_for is not Connector.reach_for or bool(recipient_fields(spec.request))


def declared_actions(extra: Mapping[str, type[Connector]] | None = None) -> list[DeclaredAction]:
    """Every installed action (and those of `extra` classes) as policy's type checker reads it."""
    classes = {**connectors(), **(extra or {})}
    return [
        DeclaredAction(spec.tool_name(cls.name), spec.verb, frozenset(spec.risks), spec.request,
                       cls.risks_for is not Connector.risks_for, cls.policy_facts.get(spec.name, {}),
                       spec.reach, _variable_reach(cls, spec))
        for cls in classes.values()
        for spec in cls.actions.values()
    ]  # fmt: skip

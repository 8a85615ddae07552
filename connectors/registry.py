"""Connectors are found through the entry-point group `charter.connectors`, built-ins included."""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points

from charter.auth.policy_check import DeclaredAction
from charter.connectors.base import ActionSpec, Connector, recipient_fields
from charter.schemas import ConfigurationError, MissingExtra, missing_extra

GROUP = "charter.connectors"
BUILTIN_PREFIX = "charter."
# The pip extra that installs each built-in connector's client library, where it differs from its name.
EXTRAS = {"gmail": "google", "calendar": "google", "sharepoint": "microsoft"}


# Built-in connectors whose extra is not installed, by entry-point name, with the error that says so.
_ABSENT: dict[str, MissingExtra] = {}


class _Installed:
    """The installed connector classes: all of them at once, or one by name importing only its own.

    A process serving one grant needs only the connectors that grant names; importing every
    installed one (and its client library) would cost its start far more than its work.
    """

    def __init__(self) -> None:
        self._all: dict[str, type[Connector]] | None = None
        self._named: dict[str, type[Connector]] = {}

    def __call__(self) -> dict[str, type[Connector]]:
        """Every installed connector class by name.

        Set CHARTER_DISABLE_PLUGINS=1 to load only Charter's own connectors when a plugin breaks.
        """
        if self._all is None:
            found: dict[str, type[Connector]] = {}
            for ep in _points():
                cls = _load(ep)
                if cls is not None:
                    found[cls.name] = cls
            self._all = found
        return self._all

    def named(self, name: str) -> type[Connector] | None:
        """The class of the one entry point called `name`, if it names a connector of that name."""
        if self._all is not None:
            return self._all.get(name)
        if name not in self._named:
            points = [ep for ep in _points() if ep.name == name]
            cls = _load(points[0]) if len(points) == 1 else None
            if cls is None or cls.name != name:
                return self().get(name)  # named otherwise, or twice: the full scan decides
            self._named[name] = cls
        return self._named[name]

    def cache_clear(self) -> None:
        """Forget what was found (tests install and remove plugins)."""
        self._all = None
        self._named.clear()


def _points() -> list[EntryPoint]:
    only_builtin = os.environ.get("CHARTER_DISABLE_PLUGINS") == "1"
    return [ep for ep in entry_points(group=GROUP) if not only_builtin or ep.value.startswith(BUILTIN_PREFIX)]


def _load(ep: EntryPoint) -> type[Connector] | None:
    """The connector class an entry point names; None for a built-in whose extra is missing."""
    try:
        cls = ep.load()
    except ImportError as exc:
        # A built-in connector whose optional extra is not installed is absent, and remembered so
        # that asking for it names the extra.
        missing = missing_extra(exc)
        if ep.value.startswith(BUILTIN_PREFIX) and missing is not None:
            _ABSENT[ep.name] = missing
            return None
        raise ConfigurationError(f"connector plugin {ep.name!r} failed to import: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise ConfigurationError(f"entry point {ep.name!r} does not name a Connector subclass")
    return cls


connectors = _Installed()


def get_connector(name: str) -> type[Connector]:
    """The connector class called `name`, or an error saying which extra installs it."""
    found = connectors.named(name)
    if found is None and name in _ABSENT:
        raise _ABSENT[name]
    if found is None:
        installed = connectors()
        raise ConfigurationError(
            f"no connector {name!r} is installed (installed: {', '.join(sorted(installed)) or 'none'}); "
            f"install it, e.g. pip install 'charter[{EXTRAS.get(name, name)}]'"
        )
    return found


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

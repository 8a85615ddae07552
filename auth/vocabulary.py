"""What a grant can name: the actions and resource constraints its connections' connectors declare.

A typo in a grant must never widen it: `repo=acme/web` for `repos=`, or a constraint the grant's
services do not read, would be silently ignored at call time and leave the agent unrestricted. So
every action, destructive name and constraint key is checked against the connectors' own
declarations (read from the classes, never from a list kept here) when a grant is issued or
attenuated, and refused with the valid ones. Names match exactly: case, spacing and look-alike
characters (`repos` spelled with a Cyrillic `e`) are refused, with a hint of the name meant.

Connector classes are found through the same entry points as `charter.connectors.registry`; this
module reads their declarations without importing the connectors package (auth sits below it).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import select

from charter.auth.attenuation import matches
from charter.auth.home import CharterHome
from charter.auth.storage import create_tables
from charter.auth.vault_table import connections_table
from charter.auth.vault_table import metadata as vault_metadata
from charter.schemas import ConfigurationError, ValidationError, missing_extra
from charter.schemas.grants import CONSTRAINT_MARKER

CONNECTOR_GROUP = "charter.connectors"
COMMIT_DRAFT = "commit_draft"


class ActionDeclaration(Protocol):
    """What the vocabulary reads of an action's declaration (`charter.connectors.ActionSpec` fits)."""

    @property
    def verb(self) -> str: ...

    @property
    def request(self) -> type[BaseModel]: ...

    @property
    def risks(self) -> frozenset[str]: ...


class ConnectorDeclarations(Protocol):
    """What the vocabulary reads of a connector class: its name and declared actions."""

    @property
    def name(self) -> str: ...

    @property
    def actions(self) -> Mapping[str, ActionDeclaration]: ...


@dataclass(frozen=True)
class ServiceTerms:
    """The names one service's grants may use: its tools and the constraints its requests read."""

    service: str
    actions: frozenset[str]
    constraints: frozenset[str]
    destructive: frozenset[str] = frozenset()
    # Each constraint key's field types, as the requests declare them (a value is spelled by them).
    field_types: Mapping[str, tuple[Any, ...]] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def declared(cls, service: str, actions: Mapping[str, ActionDeclaration]) -> ServiceTerms:
        """The terms of a connector from its declared actions (`Connector.actions`)."""
        tools = {f"{service}_{name}" for name in actions}
        if any(spec.verb == "draft" for spec in actions.values()):
            tools.add(f"{service}_{COMMIT_DRAFT}")
        types: dict[str, list[Any]] = {}
        for spec in actions.values():
            for key, annotation in _constraint_fields(spec.request):
                if annotation not in types.setdefault(key, []):
                    types[key].append(annotation)
        destructive = {f"{service}_{name}" for name, spec in actions.items() if "destructive" in spec.risks}
        return cls(
            service,
            frozenset(tools),
            frozenset(types),
            frozenset(destructive),
            {key: tuple(found) for key, found in types.items()},
        )


def _constraint_fields(model: type[BaseModel]) -> Iterator[tuple[str, Any]]:
    """(constraint key, the field's whole type) of each field of `model` a grant can constrain."""
    for info in model.model_fields.values():
        extra = info.json_schema_extra
        if isinstance(extra, dict) and isinstance(extra.get(CONSTRAINT_MARKER), str):
            whole = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            yield str(extra[CONSTRAINT_MARKER]), whole


def _spelled(value: str, types: Sequence[Any]) -> str:
    """`value` as the requests' own field types spell it, so a grant compares like a call's argument.

    A Notion URL or compact id becomes the dashed id a request carries. A value no type takes
    (a pattern such as `acme/*`) or that the types spell differently stays as written.
    """
    spellings = set()
    for annotation in types:
        try:
            spelled = TypeAdapter(annotation).validate_python(value)
        except (ValueError, TypeError):  # pydantic's ValidationError is a ValueError
            continue  # a connector's validator that raises is no spelling; the value stays as written
        if isinstance(spelled, str):
            spellings.add(spelled)
    return spellings.pop() if len(spellings) == 1 else value


class Vocabulary:
    """The terms of every known service, and which service each connection belongs to."""

    def __init__(
        self,
        services: Iterable[ServiceTerms],
        service_of: Callable[[str], str | None] = lambda _: None,
        unloadable: Mapping[str, ImportError] | None = None,
    ) -> None:
        self.services = {terms.service: terms for terms in services}
        self._service_of = service_of
        # Installed connectors that failed to import (their extra is missing), by service name.
        self._unloadable = dict(unloadable or {})

    @classmethod
    def of(
        cls,
        connectors: Iterable[ConnectorDeclarations],
        service_of: Callable[[str], str | None] = lambda _: None,
    ) -> Vocabulary:
        """The vocabulary of these connector classes (anything with `name` and `actions`)."""
        return cls((ServiceTerms.declared(c.name, c.actions) for c in connectors), service_of)

    @classmethod
    def installed(cls, service_of: Callable[[str], str | None] = lambda _: None) -> Vocabulary:
        """The vocabulary of every connector installed under the `charter.connectors` entry points."""
        terms, unloadable = _installed_terms()
        return cls(terms, service_of, dict(unloadable))

    @classmethod
    def for_home(cls, home: CharterHome) -> Vocabulary:
        """The installed vocabulary, each connection's service read from the home's vault."""
        engine = home.engine

        def service_of(connection_id: str) -> str | None:
            # The vault's table, read directly: the vault itself would load every OAuth client.
            create_tables(vault_metadata, engine)
            with engine.connect() as conn:
                found = conn.execute(
                    select(connections_table.c.service).where(connections_table.c.id == connection_id)
                ).scalar_one_or_none()
            return None if found is None else str(found)

        return cls.installed(service_of)

    def terms_for(self, connections: Sequence[str]) -> list[ServiceTerms]:
        """The terms of the services behind `connections`.

        A connection this home does not know (its service cannot be looked up) counts as any
        installed service: a grant for it is inert anyway, and names no service uses still fail.
        A known service whose connector cannot be imported is refused naming the extra to install:
        its names cannot be checked, and "unknown constraint" would send the person the wrong way.
        """
        found: dict[str, ServiceTerms] = {}
        for connection in connections:
            service = self._service_of(connection)
            terms = self.services.get(service) if service else None
            if terms is None and service in self._unloadable:
                failure = self._unloadable[service]
                hint = f"connection {connection} is a {service} account, and its connector cannot be loaded"
                raise missing_extra(failure, hint=hint) or ConfigurationError(
                    f"the {service} connector cannot be imported ({type(failure).__name__}), so a grant on "
                    f"connection {connection} cannot be checked; reinstall the package that provides it"
                ) from None
            if terms is None:
                return list(self.services.values())
            found[service or ""] = terms
        return list(found.values())

    def spell(
        self, connections: Sequence[str], constraints: Mapping[str, tuple[str, ...]]
    ) -> dict[str, tuple[str, ...]]:
        """`constraints` with each value spelled as the connections' requests spell it (`_spelled`)."""
        terms = self.terms_for(connections)
        out: dict[str, tuple[str, ...]] = {}
        for key, values in constraints.items():
            types = [t for s in terms for t in s.field_types.get(key, ())]
            out[key] = tuple(dict.fromkeys(_spelled(v, types) for v in values)) if types else values
        return out

    def check(
        self,
        connections: Sequence[str],
        *,
        actions: Sequence[str] | None = None,
        destructive: Sequence[str] = (),
        constraints: Iterable[str] = (),
    ) -> None:
        """Refuse, with `ValidationError` listing the valid names, any name these connections cannot use."""
        terms = self.terms_for(connections)
        tools = sorted({t for s in terms for t in s.actions})
        keys = sorted({k for s in terms for k in s.constraints})
        risky = sorted({d for s in terms for d in s.destructive})
        which = ", ".join(sorted(s.service for s in terms)) or "no installed service"
        for pattern in actions or ():
            if not any(matches(pattern, tool) for tool in tools):
                raise _unknown("action", pattern, tools, which)
        for name in destructive:
            if name not in risky:
                raise _unknown("destructive action", name, risky, which)
        for key in constraints:
            if key not in keys:
                raise _unknown("constraint", key, keys, which)


def _unknown(kind: str, name: str, valid: Sequence[str], services: str) -> ValidationError:
    hint = _hint(name, valid)
    listed = ", ".join(valid) if valid else "none"
    return ValidationError(
        f"unknown {kind} {name!r} for a grant on {services}{hint}; valid {kind}s: {listed}. "
        "Nothing was issued.",
        field=kind,
        given=name,
        valid=list(valid),
    )


def _hint(name: str, valid: Sequence[str]) -> str:
    folded = _fold(name)
    for candidate in valid:
        if _fold(candidate) == folded:
            return f" (did you mean {candidate!r}? they differ in case, spacing or look-alike characters)"
    close = difflib.get_close_matches(name, valid, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fold(text: str) -> str:
    # Compatibility forms (full-width letters) fold by NFKC; other look-alikes get difflib's hint.
    normal = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in normal if not ch.isspace() and unicodedata.category(ch) != "Cf")


@cache
def _installed_terms() -> tuple[tuple[ServiceTerms, ...], tuple[tuple[str, ImportError], ...]]:
    """The terms of each importable connector, and the import failure of each that is not."""
    found: list[ServiceTerms] = []
    unloadable: list[tuple[str, ImportError]] = []
    for ep in entry_points(group=CONNECTOR_GROUP):
        try:
            cls = ep.load()
        except ImportError as exc:
            unloadable.append((ep.name, exc))  # its extra is not installed: no names to offer
            continue
        name, actions = getattr(cls, "name", None), getattr(cls, "actions", None)
        if isinstance(name, str) and isinstance(actions, Mapping):
            found.append(ServiceTerms.declared(name, actions))
    return tuple(found), tuple(unloadable)


__all__ = ["CONNECTOR_GROUP", "ActionDeclaration", "ConnectorDeclarations", "ServiceTerms", "Vocabulary"]

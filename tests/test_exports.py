"""Each charter module exports what its `__all__` says, and each shared type is defined in one place."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import typing
from collections import defaultdict
from functools import cache
from pathlib import Path
from types import GenericAlias, ModuleType, UnionType

import pytest

import charter.schemas

PACKAGES = ("schemas", "auth", "connectors", "agents", "sandboxes", "cli", "contract_tests")
ROOT = Path(charter.schemas.__file__).resolve().parent.parent


def _modules() -> list[ModuleType]:
    found: list[ModuleType] = []
    for package in PACKAGES:
        root = importlib.import_module(f"charter.{package}")
        found.append(root)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"charter.{package}."):
            found.append(importlib.import_module(info.name))
    return found


MODULES = _modules()


def _is_alias(value: object) -> bool:
    """A module-level type alias: `X = Literal[...]`, `dict[str, Any]`, `A | B`, `Any`, `Callable[...]`."""
    return (
        value is typing.Any
        or isinstance(value, GenericAlias | UnionType)
        or type(value).__module__ == "typing"
    )


def _assigned_names(module: ModuleType) -> set[str]:
    """Names a module binds by assignment at its top level (imports are not definitions)."""
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


@cache
def _aliases() -> dict[str, list[tuple[str, object]]]:
    """Type alias name -> [(module, value)] for every alias a charter module defines itself."""
    defined: dict[str, list[tuple[str, object]]] = defaultdict(list)
    for module in MODULES:
        for name in sorted(_assigned_names(module)):
            value = getattr(module, name, None)
            if name[:1].isupper() and not name.isupper() and _is_alias(value):
                defined[name].append((module.__name__, value))
    return defined


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_names_exist_once(module: ModuleType) -> None:
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    assert len(exported) == len(set(exported)), f"{module.__name__}.__all__ repeats a name"
    missing = [name for name in exported if not hasattr(module, name)]
    assert not missing, f"{module.__name__}.__all__ names {missing}, which the module does not have"


def test_a_type_alias_name_means_one_type() -> None:
    twice = {
        name: [where for where, _ in places]
        for name, places in _aliases().items()
        if len({id(value) for _, value in places}) > 1 and not _field_declarations(places)
    }
    assert not twice, f"type aliases defined in more than one module: {twice}"


def test_a_type_is_defined_under_one_name() -> None:
    seen: list[tuple[str, object]] = []
    again: list[str] = []
    for name, places in sorted(_aliases().items()):
        for where, value in places:
            twin = next((f"{w}" for w, v in seen if v is not value and _same(v, value)), None)
            if twin is not None:
                again.append(f"{where}.{name} is {twin}")
            seen.append((f"{where}.{name}", value))
    assert not again, f"the same type defined twice: {again}"


# auth.policy's ruling class and its outcome alias (which *is* schemas.Decision) keep their names for
# now: every call pipeline module imports them. Any other shared name is one object everywhere.
KNOWN_CLASHES = {("charter.auth.policy", "Decision"), ("charter.auth.policy", "Outcome")}


def test_a_shared_name_is_one_object_everywhere() -> None:
    """What `charter.schemas` exports (the shared types) is not exported elsewhere as something else."""
    shared = {name: getattr(charter.schemas, name) for name in charter.schemas.__all__}
    clashes = [
        f"{module.__name__}.{name}"
        for module in MODULES
        for name in getattr(module, "__all__", ())
        if name in shared
        and getattr(module, name) is not shared[name]
        and (module.__name__, name) not in KNOWN_CLASHES
    ]
    assert not clashes, f"names charter.schemas exports, defined again as other objects: {clashes}"


def test_the_checks_see_a_second_definition() -> None:
    """Control: two separately built aliases of one type are told apart from one alias imported twice."""
    first = typing.Literal["external", "destructive"]
    second = typing.Literal["destructive", "external"]
    assert _is_alias(first)
    assert _same(first, second)
    assert first is not second
    assert _field_declarations([("a", typing.Annotated[str, 1]), ("b", typing.Annotated[int, 2])])
    assert not _field_declarations([("a", dict[str, int]), ("b", typing.Annotated[int, 2])])


def _same(one: object, other: object) -> bool:
    try:
        return bool(one == other)
    except TypeError:
        return False


def _field_declarations(places: list[tuple[str, object]]) -> bool:
    """Per-service field constraints (`Cursor`, `PerPage`): pydantic `Annotated` types, each its own."""
    return all(typing.get_origin(value) is typing.Annotated for _, value in places)

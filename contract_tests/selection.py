"""`pytest --charter-connector NAME`: the suite for harnesses registered by entry point."""

from __future__ import annotations

import types
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from charter.contract_tests.harness import ContractHarness
from charter.contract_tests.suite import contract_suite

GROUP = "charter.contract_harnesses"


def harness_classes() -> dict[str, type[ContractHarness]]:
    """Every registered harness by name; an entry point that fails to load is reported, not hidden."""
    found: dict[str, type[ContractHarness]] = {}
    for ep in entry_points(group=GROUP):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, ContractHarness)):
            raise pytest.UsageError(f"entry point {ep.name!r} in {GROUP} is not a ContractHarness subclass")
        found[ep.name] = cls
    return found


def load_harness(name: str) -> type[ContractHarness]:
    """The harness registered as `name`, or a usage error listing the registered ones."""
    found = harness_classes()
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise pytest.UsageError(f"no contract harness {name!r} in {GROUP} (registered: {known})")
    return found[name]


class _SuiteModule(pytest.Module):
    """A test module that exists only in memory: one suite class per selected harness."""

    harnesses: tuple[type[ContractHarness], ...] = ()

    def _getobj(self) -> types.ModuleType:
        module = types.ModuleType("charter_contract_suite")
        for harness in self.harnesses:
            suite = contract_suite(harness)
            setattr(module, suite.__name__, suite)
        return module


def collect_harnesses(session: pytest.Session, names: list[str]) -> list[pytest.Item]:
    """Test items of the contract suite for each named harness."""
    harnesses = tuple(load_harness(name) for name in names)
    module = _SuiteModule.from_parent(session, path=Path(__file__))
    module.harnesses = harnesses
    return list(session.genitems(module))

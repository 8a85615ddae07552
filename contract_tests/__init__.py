"""The standard connector contract suite, for connector authors (also loaded as a pytest plugin).

Exports are loaded on first use: pytest imports this package in every run, so it stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charter.contract_tests.canary import CANARY
    from charter.contract_tests.harness import ContractHarness, Example, Mode
    from charter.contract_tests.suite import ContractSuite, contract_suite

_EXPORTS = {
    "CANARY": "charter.contract_tests.canary",
    "ContractHarness": "charter.contract_tests.harness",
    "ContractSuite": "charter.contract_tests.suite",
    "Example": "charter.contract_tests.harness",
    "Mode": "charter.contract_tests.harness",
    "contract_suite": "charter.contract_tests.suite",
}


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CANARY", "ContractHarness", "ContractSuite", "Example", "Mode", "contract_suite"]

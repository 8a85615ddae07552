"""Pytest plugin: the standard connector contract suite.

Loaded in every pytest run where Charter is installed, so it imports nothing at module level
beyond pytest itself and never fails: the suite is imported only when a run asks for it, with
`--charter-connector NAME` (a harness registered in the entry-point group
`charter.contract_harnesses`) or with `contract_suite(...)` in a test module.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("charter", "Charter connector contract suite")
    group.addoption(
        "--charter-connector",
        action="append",
        default=[],
        metavar="NAME",
        help="run the contract suite on the harness registered as NAME in charter.contract_harnesses "
        "(repeatable)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "live: runs against a real account; needs credentials in the environment"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    names: list[str] = config.getoption("charter_connector")
    if names:
        from charter.contract_tests.selection import collect_harnesses

        items.extend(collect_harnesses(session, names))

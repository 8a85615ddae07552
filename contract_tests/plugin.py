"""Pytest plugin: the standard connector contract suite.

Loaded in every pytest run where Charter is installed, so it imports nothing at module level
beyond pytest itself and never fails: the suite is imported only when a run asks for it.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "live: runs against a real account; needs credentials in the environment"
    )

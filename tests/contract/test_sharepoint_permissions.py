"""Each SharePoint action's scopes are sufficient and minimal per Microsoft's permission reference."""

from __future__ import annotations

import pytest

from charter.connectors.sharepoint import SharePointConnector
from charter.contract_tests.graph_permissions import PERMISSIONS, graph_scope_problems
from charter.contract_tests.running import needed_scopes

ACTIONS = sorted(SharePointConnector.actions)


def test_every_action_names_the_endpoints_it_calls() -> None:
    assert sorted(SharePointConnector.api_endpoints) == ACTIONS
    assert {e for es in SharePointConnector.api_endpoints.values() for e in es} <= set(PERMISSIONS)


@pytest.mark.parametrize("action", ACTIONS)
def test_declared_scopes_are_sufficient_and_minimal(action: str) -> None:
    spec = SharePointConnector.actions[action]
    declared = sorted(needed_scopes(SharePointConnector, spec))
    assert graph_scope_problems(declared, SharePointConnector.api_endpoints[action]) == []


def test_the_check_catches_too_much_too_little_idle_and_own_drive_scopes() -> None:
    listing = SharePointConnector.api_endpoints["list_children"]
    assert graph_scope_problems(["Sites.ReadWrite.All"], listing) == [
        "NOT MINIMAL: Sites.Read.All would serve site-getbypath, drive-list, driveitem-list-children "
        "instead of Sites.ReadWrite.All"
    ]
    assert graph_scope_problems(["Files.Read.All"], listing)[0].startswith("INSUFFICIENT: site-getbypath")
    assert any(
        "serves none" in p for p in graph_scope_problems(["Sites.Read.All", "Sites.Selected"], listing)
    )
    # Files.ReadWrite is listed for uploads but reaches only the person's own OneDrive.
    upload = SharePointConnector.api_endpoints["upload_file"]
    assert any(
        p.startswith("INSUFFICIENT")
        for p in graph_scope_problems(["Sites.Read.All", "Files.ReadWrite"], upload)
    )

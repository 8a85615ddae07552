"""Each SharePoint action's scopes are sufficient and minimal per Microsoft's permission reference."""

from __future__ import annotations

import pytest

from charter.connectors.sharepoint import SharePointConnector
from charter.connectors.sharepoint.endpoints import OWN_DRIVE_ACTIONS
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
    endpoints = SharePointConnector.api_endpoints[action]
    assert graph_scope_problems(declared, endpoints, own_drive=action in OWN_DRIVE_ACTIONS) == []


def test_the_own_drive_actions_ask_only_for_files_read_or_files_readwrite() -> None:
    declared = {a: SharePointConnector.actions[a].scopes for a in OWN_DRIVE_ACTIONS}
    assert declared == {
        "list_my_files": ("Files.Read",),
        "get_my_item": ("Files.Read",),
        "search_my_files": ("Files.Read",),
        "download_my_file": ("Files.Read",),
        "sync_my_drive": ("Files.Read",),
        "upload_my_file": ("Files.ReadWrite",),
        "create_my_folder": ("Files.ReadWrite",),
        "delete_my_item": ("Files.ReadWrite",),
    }


def test_the_check_refuses_a_broader_or_a_narrower_scope_for_the_own_drive() -> None:
    listing = SharePointConnector.api_endpoints["list_my_files"]
    assert graph_scope_problems(["Files.Read.All"], listing, own_drive=True) == [
        "NOT MINIMAL: Files.Read would serve driveitem-list-children instead of Files.Read.All"
    ]
    upload = SharePointConnector.api_endpoints["upload_my_file"]
    assert graph_scope_problems(["Files.Read"], upload, own_drive=True)[0].startswith(
        "INSUFFICIENT: driveitem-put-content"
    )
    assert any(
        p.startswith("NOT MINIMAL: Files.ReadWrite would serve")
        for p in graph_scope_problems(["Files.ReadWrite.All"], upload, own_drive=True)
    )
    # Control: the same Files.Read, for a library's listing, reaches no library at all.
    assert graph_scope_problems(["Files.Read"], ["driveitem-list-children"])[0].startswith("INSUFFICIENT")


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

"""SharePoint connectors on the session's Graph sandbox, connected through msal and the vault."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from charter.auth.connect_microsoft import connect_microsoft
from charter.auth.crypto import KeySet, generate_key
from charter.auth.home import CharterHome
from charter.auth.vault import Vault
from charter.connectors.sharepoint import SharePointConnector
from charter.sandboxes.microsoft import DEFAULT_CLIENT_ID, GraphSandbox

ALL = ("Files.ReadWrite.All", "Sites.ReadWrite.All")
SITE = "contoso.sharepoint.com/sites/Finance"


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(CharterHome(tmp_path / "home"), keys=KeySet.parse(f"k1:{generate_key()}", source="test"))


MakeConnector = Callable[..., SharePointConnector]


@pytest.fixture
def make_sharepoint(graph: GraphSandbox, vault: Vault) -> MakeConnector:
    """A connector whose connection was made by msal's auth code flow against the sandbox."""

    def make(*scopes: str) -> SharePointConnector:
        conn = connect_microsoft(
            vault,
            scopes=scopes or ALL,
            client_id=DEFAULT_CLIENT_ID,
            authority=f"{graph.url}/organizations",
            api_base=graph.graph_base,
            open_browser=lambda url: httpx.get(
                "http://" + url.removeprefix("https://"), follow_redirects=True
            ),
            timeout=10,
        )
        connector = SharePointConnector(vault.credentials(conn.id), base_url=graph.graph_base)
        connector.sleep, connector.clock = graph.clock.advance, graph.clock.now
        graph.requests.clear()
        return connector

    return make


@pytest.fixture
def sharepoint(make_sharepoint: MakeConnector) -> SharePointConnector:
    return make_sharepoint()

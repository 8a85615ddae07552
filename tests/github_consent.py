"""A person's consent to the GitHub sandbox, as the tests' connections are made."""

from __future__ import annotations

import httpx

from charter.auth.connect import connect_github
from charter.auth.vault import Vault
from charter.auth.vault_table import Connection
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox


def connect_sandbox(vault: Vault, sb: GitHubSandbox) -> Connection:
    """A `repo` connection of `vault` to the sandbox, its consent page followed by an HTTP client."""
    return connect_github(
        vault,
        scopes=["repo"],
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        oauth_base=sb.url,
        api_base=sb.url,
        open_browser=lambda url: httpx.get(url, follow_redirects=True),
        timeout=5,
    )

"""A connection to the GitHub sandbox for connector tests: a token from its test helper, refreshed there."""

from __future__ import annotations

import httpx

from charter.auth.providers import GITHUB
from charter.sandboxes.github import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, GitHubSandbox
from charter.schemas import AuthRequired


class SandboxCredentials:
    """A connection to the sandbox: a token from its test helper, refreshed at its token endpoint."""

    def __init__(
        self,
        sandbox: GitHubSandbox,
        scopes: tuple[str, ...] = ("repo",),
        *,
        login: str = "mona",
        claimed: tuple[str, ...] | None = None,
    ) -> None:
        issued = sandbox.oauth.issue_token(login, scopes)
        self._sandbox = sandbox
        self._access = issued.access_token
        self._refresh = issued.refresh_token
        self._claimed = frozenset(scopes if claimed is None else claimed)
        self.refreshes = 0

    def __repr__(self) -> str:
        return "<SandboxCredentials connection='conn_test'>"

    @property
    def connection_id(self) -> str:
        return "conn_test"

    @property
    def account(self) -> str:
        return "mona"

    @property
    def granted_scopes(self) -> frozenset[str]:
        return self._claimed

    def access_token(self) -> str:
        return self._access

    def refresh(self, rejected: str) -> str:
        self.refreshes += 1
        answer = httpx.post(
            f"{self._sandbox.url}/login/oauth/access_token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": self._refresh or "",
                "client_id": DEFAULT_CLIENT_ID,
                "client_secret": DEFAULT_CLIENT_SECRET,
            },
            headers={"Accept": "application/json"},
        ).json()
        if "error" in answer:
            raise AuthRequired("GitHub refused the refresh token; connect GitHub again.")
        self._access, self._refresh = answer["access_token"], answer.get("refresh_token")
        self._claimed = GITHUB.parse_scopes(answer.get("scope")) or self._claimed
        return self._access

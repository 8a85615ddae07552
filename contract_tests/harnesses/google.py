"""What the harnesses of Charter's Google connectors share: the Google sandbox and its tokens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from charter.connectors.base import Credentials
from charter.contract_tests.harnesses.sandboxed import SandboxCredentials, SandboxedHarness

if TYPE_CHECKING:
    from charter.sandboxes.google import GoogleSandbox  # noqa: F401 (named in a base class)

ACCOUNT = "mona@acme.com"


class GoogleCredentials(SandboxCredentials):
    """A sandbox Google connection of mona@acme.com, refreshed at the sandbox's token endpoint."""

    account = ACCOUNT
    provider = "Google"

    def __repr__(self) -> str:
        return f"<SandboxCredentials {self.connection_id} scopes={len(self._claimed)}>"


class GoogleHarness(SandboxedHarness["GoogleSandbox"]):
    """Runs the contract suite on a Google connector against the Google sandbox."""

    discovery_api: ClassVar[tuple[str, str]]
    credentials_cls: ClassVar[type[GoogleCredentials]]
    every_scope: ClassVar[frozenset[str]]
    methods: ClassVar[Mapping[str, Sequence[str]]]

    @classmethod
    def api_methods(cls) -> Mapping[str, Sequence[str]]:
        """The discovery method uses of each action, as the connector declares them."""
        return cls.methods

    def start(self) -> None:
        from charter.sandboxes.google import GoogleSandbox

        self._serve(GoogleSandbox())

    def credentials(
        self,
        scopes: Iterable[str] | None = None,
        *,
        claimed: Iterable[str] | None = None,
        canary: str | None = None,
    ) -> Credentials:
        from charter.sandboxes.google import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        held = frozenset(scopes) if scopes is not None else self.every_scope
        client = (DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)
        if canary:
            client = (f"contract-{len(canary)}.apps.googleusercontent.com", f"GOCSPX-{canary}")
            self.sandbox.oauth.register_client(*client)
            self._mark_tokens(canary)
        tokens = self.sandbox.oauth.issue_token(ACCOUNT, held, client_id=client[0])
        return self.credentials_cls(
            token_url=f"{self.sandbox.url}/token",
            client=client,
            tokens=tokens,
            claimed=frozenset(claimed) if claimed is not None else held,
        )

    def request_count(self) -> int | None:
        return len(self.sandbox.requests)


__all__ = ["ACCOUNT", "GoogleCredentials", "GoogleHarness"]

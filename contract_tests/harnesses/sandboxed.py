"""What harnesses driving a `charter.sandboxes` sandbox share: refreshing credentials, lifecycle, faults."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

import httpx

from charter.connectors.base import Connector, Credentials
from charter.contract_tests.harness import ContractHarness, Mode
from charter.schemas import AuthRequired

if TYPE_CHECKING:
    from charter.sandboxes.framework import Sandbox
    from charter.sandboxes.tokens import TokenFormat

SandboxT = TypeVar("SandboxT", bound="Sandbox")


class SandboxCredentials:
    """A sandbox connection: tokens from the sandbox's OAuth server, refreshed over HTTP as the vault does."""

    connection_id: str
    account: str
    provider: ClassVar[str]
    token_headers: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self, *, token_url: str, client: tuple[str, str], tokens: tuple[str, str], claimed: frozenset[str]
    ) -> None:
        self._token_url = token_url
        self._client = client
        self._access, self._refresh = tokens
        self._claimed = claimed

    def __repr__(self) -> str:
        return f"<SandboxCredentials {self.connection_id} scopes={sorted(self._claimed)}>"

    @property
    def granted_scopes(self) -> frozenset[str]:
        return self._claimed

    def access_token(self) -> str:
        return self._access

    def refresh(self, rejected: str) -> str:
        if rejected != self._access:
            return self._access
        body = self._post_refresh({"grant_type": "refresh_token", "refresh_token": self._refresh}).json()
        if "access_token" not in body:
            raise AuthRequired(
                f"{self.provider} refused to refresh ({body.get('error')}); connect {self.provider} again."
            )
        self._access, self._refresh = body["access_token"], body.get("refresh_token") or self._refresh
        return self._access

    def _post_refresh(self, form: dict[str, str]) -> httpx.Response:
        """The refresh request as the provider takes it: RFC 6749's form, client credentials inside."""
        client_id, client_secret = self._client
        form |= {"client_id": client_id, "client_secret": client_secret}
        return httpx.post(self._token_url, data=form, headers=dict(self.token_headers), timeout=10)


class SandboxedHarness(ContractHarness, Generic[SandboxT]):
    """A harness whose checks drive a sandbox: its lifecycle, canary tokens, observation and faults."""

    no_sandbox: ClassVar[str] = "this harness has no sandbox to inspect or fault"
    _format: TokenFormat

    def __init__(self, mode: Mode = "sandbox") -> None:
        super().__init__(mode)
        self._sandbox: SandboxT | None = None

    @property
    def sandbox(self) -> SandboxT:
        if self._sandbox is None:
            raise NotImplementedError(self.no_sandbox)
        return self._sandbox

    # -- lifecycle ---------------------------------------------------------------------------

    def _serve(self, sandbox: SandboxT) -> None:
        self._sandbox = sandbox.start()
        self._format = sandbox.tokens.format
        self.base_url = sandbox.url

    def reset(self) -> None:
        if self._sandbox is not None:
            self._sandbox.reset()
            self._sandbox.tokens.format = self._format

    def stop(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()

    def connector(self, credentials: Credentials) -> Connector:
        connector = super().connector(credentials)
        if self._sandbox is not None:
            # Waits pass on the sandbox's clock, which judges early retries by it.
            connector.sleep = self._sandbox.clock.advance
        return connector

    def _mark_tokens(self, canary: str) -> None:
        # Tokens carry the canary from now on, so the suite can spot one that leaks.
        fmt = self._format
        self.sandbox.tokens.format = dataclasses.replace(
            fmt, access_prefix=fmt.access_prefix + canary, refresh_prefix=fmt.refresh_prefix + canary
        )

    # -- observation -------------------------------------------------------------------------

    def _count(self, count: Callable[[], int]) -> Callable[[], int]:
        def locked() -> int:
            with self.sandbox.lock:
                return count()

        return locked

    def watch_secret(self, secret: str) -> None:
        self.sandbox.requests.watch(secret)

    def secret_sightings(self, secret: str) -> list[str]:
        return [f"{s.where} of {s.method} {s.path}" for s in self.sandbox.requests.sightings(secret)]

    # -- faults ------------------------------------------------------------------------------

    def fail_next(self, n: int, status: int) -> None:
        self._arm_writes("fail", n, status)

    def drop_next(self, n: int, *, after_commit: bool = True) -> None:
        self._arm_writes("drop_after" if after_commit else "drop_before", n)

    def _arm_writes(self, kind: str, n: int, status: int = 503) -> None:
        from charter.contract_tests.harnesses.faults import arm_state_changing

        arm_state_changing(self.sandbox.faults, kind, n, status)

    def rate_limit_next(self, retry_after: float) -> None:
        self.sandbox.faults.rate_limit_next(1, retry_after=int(retry_after))

    def early_retries(self) -> int:
        return len(self.sandbox.faults.early_retries)

    def faults_pending(self) -> int:
        return len(self.sandbox.faults.armed)

    def expire_tokens(self) -> None:
        self.sandbox.faults.expire_access_tokens()

    def revoke_tokens(self) -> None:
        self.sandbox.faults.revoke_tokens()


__all__ = ["SandboxCredentials", "SandboxedHarness"]

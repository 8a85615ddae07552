"""What a connector author implements to run the contract suite: a sandbox, connections, examples.

A harness drives one connector against its sandbox (or, in live mode, a real test account). The
suite reads everything it needs from here: how to start and reset the service, how to get a
connection with exactly some scopes, valid and invalid arguments for each action, how to observe
the effect of a write, and the faults to inject. Hooks a harness cannot offer raise
`NotImplementedError`; the checks that need them then fail in sandbox mode and skip in live mode.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

if TYPE_CHECKING:
    from charter.connectors.base import Connector, Credentials
    from charter.schemas import Draft

Mode = Literal["sandbox", "live"]
MODES: tuple[Mode, ...] = ("sandbox", "live")


@dataclass(frozen=True)
class Example:
    """Arguments that exercise one action, and how to see what it did.

    `observe` (drafts and writes) counts how many times the change is visible in the service:
    the issues with this title, the comments with this body, 1 if the issue is closed. The suite
    expects it to grow by exactly one when the change commits, whatever faults were injected.
    `refused` holds arguments that pass validation but that the service refuses or cannot find
    (a number no note has, a title the service rejects): the connector must answer each with a
    typed, non-retryable charter error and change nothing.
    `min_items` and `min_pages` (paginated reads) say how much the seed data holds, so a
    pagination that stops early is caught.
    """

    args: Mapping[str, Any]
    invalid: tuple[Mapping[str, Any], ...] = ()
    refused: tuple[Mapping[str, Any], ...] = ()
    observe: Callable[[], int] | None = None
    min_items: int = 0
    min_pages: int = 1


class ContractHarness:
    """Base of a connector's contract harness; subclass it and pass the subclass to `contract_suite`.

    Set `connector_cls`, implement `start`, `reset`, `stop`, `credentials` and `examples`, and as
    many observation and fault hooks as the sandbox offers (all of them for a sandbox built on
    `charter.sandboxes`). `live_env` names the environment variables that enable live mode.
    """

    connector_cls: ClassVar[type[Connector]]
    live_env: ClassVar[tuple[str, ...]] = ()
    # Actions the provider lets anyone run without a scope; every other action must declare one.
    unscoped_actions: ClassVar[frozenset[str]] = frozenset()
    # The Retry-After the rate-limit check asks for: the one check that really waits.
    retry_after: ClassVar[float] = 1

    def __init__(self, mode: Mode = "sandbox") -> None:
        self.mode: Mode = mode
        self.base_url: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def live_missing(cls) -> list[str]:
        """The live-mode environment variables that are not set (all of them if none are declared)."""
        return [name for name in cls.live_env if not os.environ.get(name)] if cls.live_env else ["(none)"]

    def start(self) -> None:
        """Start the sandbox (or check the live account) and set `base_url`; called once per session."""
        raise NotImplementedError

    def reset(self) -> None:
        """Restore the seed data and clear faults and request logs; called before every test."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the sandbox."""

    # -- connections -------------------------------------------------------------------------

    def credentials(
        self,
        scopes: Iterable[str] | None = None,
        *,
        claimed: Iterable[str] | None = None,
        canary: str | None = None,
    ) -> Credentials:
        """A connection whose token the provider grants exactly `scopes` (None: every declared scope).

        `claimed` is what the credentials report as granted (default: `scopes`); claiming more than
        the token holds bypasses the connector's own check, so the provider's refusal is observed.
        `canary`, when given, must be part of every secret of the connection (tokens, client secret).
        """
        raise NotImplementedError

    def connector(self, credentials: Credentials) -> Connector:
        """A fresh connector on `credentials`, pointed at the sandbox or the live service."""
        return self.connector_cls(credentials, base_url=self.base_url)

    def examples(self) -> Mapping[str, Example]:
        """An example for each action, by action name; in live mode, those safe on a real account."""
        raise NotImplementedError

    # -- observation -------------------------------------------------------------------------

    def visible_state(self) -> Mapping[str, object]:
        """What other people can see, keyed by thing ("acme/web#12" → its fields); compared by value."""
        raise NotImplementedError

    def seen_by_others(self) -> Mapping[str, object]:
        """What another user of the service sees: a colleague, a guest, a reader of the repository.

        `visible_state` by default; a harness whose `visible_state` also holds what only the person
        sees (their own labels, their own drafts) narrows it here. After a draft it must not change.
        """
        return self.visible_state()

    def native_draft_keys(self, draft: Draft) -> frozenset[str]:
        """Keys of `visible_state` a native draft may add (the draft itself, e.g. a draft pull request)."""
        return frozenset()

    def request_count(self) -> int | None:
        """Requests the service has received so far; None when it cannot tell (live mode)."""
        raise NotImplementedError

    def watch_secret(self, secret: str) -> None:
        """Start noting every request that carries `secret` anywhere but as the connection's credential."""
        raise NotImplementedError

    def secret_sightings(self, secret: str) -> list[str] | None:
        """Where the watched `secret` reached the service since `watch_secret`, as "header x-debug of GET
        /path"; the Authorization header and a token-endpoint refresh are its credential places.

        None when the service cannot tell (live mode).
        """
        raise NotImplementedError

    def fidelity_problems(self) -> list[str] | None:
        """Responses received since `reset` that do not match the official API description.

        None when the harness has no validator for its service.
        """
        return None

    # -- faults ------------------------------------------------------------------------------

    def fail_next(self, n: int, status: int) -> None:
        """Answer the next `n` requests that change state with `status`, changing nothing."""
        raise NotImplementedError

    def drop_next(self, n: int, *, after_commit: bool = True) -> None:
        """Drop the connection of the next `n` state-changing requests, after committing if asked."""
        raise NotImplementedError

    def rate_limit_next(self, retry_after: float) -> None:
        """Answer the next request with 429 and `Retry-After: retry_after`."""
        raise NotImplementedError

    def early_retries(self) -> int:
        """How many requests came back before the Retry-After they were given had elapsed."""
        raise NotImplementedError

    def faults_pending(self) -> int:
        """Armed faults that no request has triggered yet."""
        raise NotImplementedError

    def expire_tokens(self) -> None:
        """Make every access token expire now; refresh tokens stay valid."""
        raise NotImplementedError

    def revoke_tokens(self) -> None:
        """Revoke every token, refresh tokens included, as a person removing the app would."""
        raise NotImplementedError


__all__ = ["MODES", "ContractHarness", "Example", "Mode"]

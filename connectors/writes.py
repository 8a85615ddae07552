"""Writes exactly once: the intent recorded before sending, one key for every attempt, lost answers found.

`WriteAttempts` runs one commit after the ledger granted the caller the key's claim. It notes each
attempt before it leaves; retries a failed one under the same key, so the handler first looks in
the service for the earlier attempt's effect; waits out the service's commit window after an
unanswered attempt, so that look proves something; and answers `outcome_unknown` rather than send
blind when it still cannot know.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from pydantic import BaseModel

from charter.connectors.stores import WriteIntent
from charter.schemas import CharterError, Draft, NoAnswer, OutcomeUnknown, UpstreamError, WriteResult

if TYPE_CHECKING:
    from charter.connectors.base import ActionSpec, Attribution, Connector


def _nowhere(progress: str) -> None:
    return None


@dataclass(frozen=True)
class WriteContext:
    """What a write handler needs besides the change itself.

    `attempt` counts every attempt under the key, by any caller in any process; `progress` is what
    an earlier attempt noted through `checkpoint` before its answer was lost.
    """

    idempotency_key: str
    attribution: Attribution | None = None
    draft: Draft | None = None
    attempt: int = 1
    progress: str | None = None
    checkpoint: Callable[[str], None] = _nowhere

    @property
    def is_retry(self) -> bool:
        """On a retry the previous attempt may have committed: reconcile before sending again."""
        return self.attempt > 1


@dataclass
class WriteAttempts:
    """The attempts of one commit under a claimed intent."""

    connector: Connector
    spec: ActionSpec
    change: BaseModel
    intent: WriteIntent
    attribution: Attribution | None = None
    draft: Draft | None = None
    progress: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.progress = self.intent.progress

    def commit(self) -> WriteResult:
        """Send until one attempt answers; the claim is released whatever happens."""
        connector, ledger, key = self.connector, self.connector.ledger, self.intent.key
        attempt, sent_at = self.intent.attempts, self.intent.sent_at
        # Attempts recorded earlier, by anyone, went unanswered: they may have acted.
        unanswered = in_doubt = self.intent.attempts > 0
        try:
            for _ in range(connector.write_attempts):
                if unanswered:
                    self._await_commit_window(sent_at)
                attempt += 1
                ctx = WriteContext(
                    key, self.attribution, self.draft, attempt, self.progress, self._checkpoint
                )
                run = partial(getattr(connector, self.spec.method), self.change, ctx)
                sent_at = time.time()
                ledger.sending(key, now=sent_at)
                try:
                    result: WriteResult = connector._call(self.spec, self.change, run)
                except UpstreamError as exc:
                    in_doubt, unanswered = True, isinstance(exc, NoAnswer)
                    continue
                update = {"idempotency_key": key, "draft_id": self.draft.id if self.draft else None}
                return result.model_copy(update=update)
        except BaseException as exc:
            # A refusal (scope, validation, conflict) after only definite answers sent nothing that
            # could have acted: forget the intent. Anything else keeps it for the next caller.
            ledger.release(key, nothing_sent=isinstance(exc, CharterError) and not in_doubt)
            raise
        ledger.release(key, nothing_sent=False)
        attempts = connector.write_attempts
        raise outcome_unknown(connector, self.spec, key, f"{attempts} attempts got no definite answer")

    def _checkpoint(self, note: str) -> None:
        self.connector.ledger.note(self.intent.key, note)
        self.progress = note

    def _await_commit_window(self, sent_at: float | None) -> None:
        """Wait until an unanswered attempt can no longer act, so looking for it proves something."""
        connector = self.connector
        remaining = (sent_at or 0.0) + connector.commit_window - time.time()
        if remaining <= 0:
            return
        if remaining > connector.max_commit_wait:
            why = "an earlier attempt got no answer and may still be acted on"
            raise outcome_unknown(connector, self.spec, self.intent.key, why, retry_after=remaining)
        connector.commit_wait(remaining)


def held_elsewhere(connector: Connector, spec: ActionSpec, key: str) -> WriteResult:
    """The answer while another caller holds the key: its result if it finished meanwhile."""
    done = connector.ledger.get(key)
    if done is not None:
        return done.model_copy(update={"replayed": True})
    raise outcome_unknown(connector, spec, key, "another call is writing under the same key right now")


def outcome_unknown(
    connector: Connector, spec: ActionSpec, key: str, why: str, *, retry_after: float = 5.0
) -> OutcomeUnknown:
    """The typed error saying a write may have happened, when to call again and where to look."""
    service = connector.display_name or connector.name
    return OutcomeUnknown(
        f"whether {spec.name} happened is not known yet ({why}); nothing was sent again. Call "
        f"again with the same idempotency key in {retry_after:.0f} s: Charter looks for the write "
        f"in {service} before sending. To check yourself: {connector.where_to_look(spec, key)}.",
        idempotency_key=key,
        action=spec.name,
        retry_after=round(retry_after, 1),
    )


__all__ = ["WriteAttempts", "WriteContext", "held_elsewhere", "outcome_unknown"]

"""Where drafts wait between `draft` and `write`, and the ledger that makes writes happen once.

The protocols are what a connector needs; the memory versions suit a script. The agents layer
provides SQL-backed ones (`charter.agents.drafts`), which any process or Toolkit on the same
database shares.

The ledger records a write's intent before anything is sent: who holds it now (a claim with a
deadline), how many attempts went out and when the last one did. A caller that finds attempts
recorded by anyone, in any process, looks for their effect in the service before sending again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Protocol

from charter.schemas import Draft, WriteResult


class DraftStore(Protocol):
    """Where drafts are kept between `draft` and `write`."""

    def save(self, draft: Draft) -> None: ...

    def get(self, draft_id: str) -> Draft | None: ...

    def mark_committed(self, draft_id: str) -> None: ...


@dataclass(frozen=True)
class WriteIntent:
    """A write recorded before it is sent: `attempts` went out, the last at `sent_at` (epoch seconds).

    `progress` is the last step a multi-step write noted (e.g. which native draft it was sending).
    """

    key: str
    action: str
    attempts: int = 0
    sent_at: float | None = None
    progress: str | None = None


class WriteLedger(Protocol):
    """Idempotency keys: the intent of each write before it is sent, and what committed writes produced."""

    def get(self, key: str) -> WriteResult | None:
        """The result of the committed write under `key`, if there is one."""
        ...

    def put(self, key: str, result: WriteResult) -> None:
        """Record the committed result (the first one stands) and end the intent."""
        ...

    def claim(self, key: str, action: str, *, now: float, until: float) -> WriteIntent | None:
        """Record the intent under `key` (or find the earlier one) and hold it until `until`.

        None while another caller holds it. The holder is the only one that may send.
        """
        ...

    def sending(self, key: str, *, now: float) -> None:
        """Note, durably and before the request leaves, that one more attempt is being sent."""
        ...

    def note(self, key: str, progress: str) -> None:
        """Record, durably, how far a multi-step write got (read back as `WriteIntent.progress`)."""
        ...

    def release(self, key: str, *, nothing_sent: bool) -> None:
        """Give up the claim; with `nothing_sent` (no attempt could have acted) drop the intent too."""
        ...


class MemoryDraftStore:
    """Drafts held in memory: enough for a script, lost with the process."""

    def __init__(self) -> None:
        self._drafts: dict[str, Draft] = {}

    def save(self, draft: Draft) -> None:
        self._drafts[draft.id] = draft

    def get(self, draft_id: str) -> Draft | None:
        return self._drafts.get(draft_id)

    def mark_committed(self, draft_id: str) -> None:
        draft = self._drafts[draft_id]
        self._drafts[draft_id] = draft.model_copy(update={"committed": True})


class MemoryWriteLedger:
    """An idempotency ledger held in memory: shared by the threads of one script, lost with it."""

    def __init__(self) -> None:
        self._results: dict[str, WriteResult] = {}
        self._intents: dict[str, tuple[WriteIntent, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> WriteResult | None:
        return self._results.get(key)

    def put(self, key: str, result: WriteResult) -> None:
        with self._lock:
            self._results.setdefault(key, result)
            self._intents.pop(key, None)

    def claim(self, key: str, action: str, *, now: float, until: float) -> WriteIntent | None:
        with self._lock:
            intent, held_until = self._intents.get(key, (WriteIntent(key, action), 0.0))
            if held_until > now:
                return None
            self._intents[key] = (intent, until)
            return intent

    def sending(self, key: str, *, now: float) -> None:
        with self._lock:
            if key in self._intents:
                intent, held_until = self._intents[key]
                self._intents[key] = (replace(intent, attempts=intent.attempts + 1, sent_at=now), held_until)

    def note(self, key: str, progress: str) -> None:
        with self._lock:
            if key in self._intents:
                intent, held_until = self._intents[key]
                self._intents[key] = (replace(intent, progress=progress), held_until)

    def release(self, key: str, *, nothing_sent: bool) -> None:
        with self._lock:
            if nothing_sent:
                self._intents.pop(key, None)
            elif key in self._intents:
                self._intents[key] = (self._intents[key][0], 0.0)

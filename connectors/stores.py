"""Where drafts wait between `draft` and `write`, and the ledger that makes writes happen once.

The protocols are what a connector needs; the memory versions suit a script. The agents layer
provides SQL-backed ones (`charter.agents.drafts`).
"""

from __future__ import annotations

from typing import Protocol

from charter.schemas import Draft, WriteResult


class DraftStore(Protocol):
    """Where drafts are kept between `draft` and `write`."""

    def save(self, draft: Draft) -> None: ...

    def get(self, draft_id: str) -> Draft | None: ...

    def mark_committed(self, draft_id: str) -> None: ...


class WriteLedger(Protocol):
    """Idempotency keys of committed writes and what they produced."""

    def get(self, key: str) -> WriteResult | None: ...

    def put(self, key: str, result: WriteResult) -> None: ...


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
    """An idempotency ledger held in memory."""

    def __init__(self) -> None:
        self._results: dict[str, WriteResult] = {}

    def get(self, key: str) -> WriteResult | None:
        return self._results.get(key)

    def put(self, key: str, result: WriteResult) -> None:
        self._results[key] = result

"""Group commit: appends from many threads made durable together, each caller answered only after.

Each audit entry must be committed (and synced) before its call returns, and one sync costs far
more than chaining an entry. So a thread that finds no commit under way commits every entry waiting
at that moment in one transaction; threads arriving meanwhile queue theirs for the next one. One
thread alone pays one sync per entry, as before; eight threads share each sync.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar, cast

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Slot(Generic[Item, Result]):
    """One caller's entry, and what committing it gave: its result or the error."""

    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.done = False
        self.result: Result | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[Item, Result]):
    """Runs `commit` over the entries waiting, in arrival order; `append` returns one entry's result."""

    def __init__(self, commit: Callable[[Sequence[Item]], Sequence[Result]]) -> None:
        self._commit = commit
        self._reset()

    def _reset(self) -> None:
        # A forked child inherits the locks as some thread of the parent left them: it starts afresh.
        self._pid = os.getpid()
        self._waiting: list[_Slot[Item, Result]] = []
        self._queue = threading.Lock()
        self._leader = threading.Lock()

    def append(self, item: Item) -> Result:
        """Commit `item` (with whatever else waits) and return its result once it is durable."""
        if self._pid != os.getpid():
            self._reset()
        slot: _Slot[Item, Result] = _Slot(item)
        with self._queue:
            self._waiting.append(slot)
        with self._leader:
            if not slot.done:
                self._lead()
        if slot.error is not None:
            raise slot.error
        return cast(Result, slot.result)

    def _lead(self) -> None:
        with self._queue:
            group, self._waiting = self._waiting, []
        try:
            results = self._commit([s.item for s in group])
        except BaseException as exc:
            # One transaction for the group: every caller in it gets the error a lone append would.
            for s in group:
                s.error, s.done = exc, True
            return
        for s, result in zip(group, results, strict=True):
            s.result, s.done = result, True


__all__ = ["GroupCommit"]

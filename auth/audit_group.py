"""Group commit: appends from many threads made durable together, each caller answered only after.

Each audit entry must be committed (and synced) before its call returns, and one sync costs far
more than chaining an entry. So a thread that finds no commit under way commits every entry waiting
at that moment in one transaction; threads arriving meanwhile queue theirs for the next one. One
thread alone pays one sync per entry, as before; eight threads share each sync.

When a group is durable its callers are all woken at once and return, so they prepare their next
entries while the next group commits. (Waking them one by one through a lock held for a whole
commit made each wait behind the next leader's sync too, and kept the groups small.)
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
        # A forked child inherits the lock as some thread of the parent left it: it starts afresh.
        self._pid = os.getpid()
        self._waiting: list[_Slot[Item, Result]] = []
        self._changed = threading.Condition(threading.Lock())
        self._leading = False

    def append(self, item: Item) -> Result:
        """Commit `item` (with whatever else waits) and return its result once it is durable."""
        if self._pid != os.getpid():
            self._reset()
        slot: _Slot[Item, Result] = _Slot(item)
        with self._changed:
            self._waiting.append(slot)
            while self._leading and not slot.done:
                self._changed.wait()
            if not slot.done:
                # No commit under way: this caller commits everything waiting, its own entry first.
                self._leading = True
                group, self._waiting = self._waiting, []
        if not slot.done:
            self._lead(group)
        if slot.error is not None:
            raise slot.error
        return cast(Result, slot.result)

    def _lead(self, group: list[_Slot[Item, Result]]) -> None:
        try:
            results = self._commit([s.item for s in group])
        except BaseException as exc:
            # One transaction for the group: every caller in it gets the error a lone append would.
            for s in group:
                s.error = exc
        else:
            for s, result in zip(group, results, strict=True):
                s.result = result
        finally:
            with self._changed:
                for s in group:
                    s.done = True
                self._leading = False
                self._changed.notify_all()


__all__ = ["GroupCommit"]

"""Bounded waits on events for tests: block until the thing happens, fail (never hang) past a bound.

The bound is generous on purpose. A wait sized to how long something usually takes flakes on a
loaded machine; a wait that returns the moment its event comes costs nothing when the machine is
idle, and its bound only turns a real hang into a failure that says what never happened.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, TypeVar

T = TypeVar("T")

# Under pytest-timeout's 120 s per test, so a hang fails here with a message first.
PATIENCE = 60.0


def in_background(fn: Callable[[], T]) -> Future[T]:
    """Run `fn` on its own thread; `.result(PATIENCE)` waits for its answer or its exception."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(fn)
    # Not waited for: a thread still blocked past the bound must not hang the test's teardown.
    pool.shutdown(wait=False)
    return future


def line_from(stream: IO[str], what: str, timeout: float = PATIENCE) -> str:
    """The next line of a child process's output, as soon as it comes; fails naming `what` past the bound."""
    try:
        return in_background(stream.readline).result(timeout)
    except TimeoutError:
        raise AssertionError(f"no {what} within {timeout:.0f} s") from None

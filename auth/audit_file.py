"""The audit file itself: appends under an exclusive flock, its last line, and lines cut off by a crash."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, NamedTuple

GENESIS = "0" * 64


class Head(NamedTuple):
    """Where a chain ends: the last seq and its hash."""

    seq: int
    hash: str


class FileLock:
    """The audit file opened for append and held under an exclusive flock."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle

    def __enter__(self) -> IO[bytes]:
        fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX)
        return self.handle

    def __exit__(self, *exc: object) -> None:
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        finally:
            self.handle.close()


def open_locked(path: Path) -> FileLock:
    """The log opened for append (created 0600), to be held with `with`."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    return FileLock(os.fdopen(fd, "a+b"))


def tail(handle: IO[bytes]) -> tuple[Head | None, bytes]:
    """The head of the last complete line ((0, GENESIS) for none) and any unterminated rest after it."""
    handle.seek(0, os.SEEK_END)
    if handle.tell() == 0:
        return Head(0, GENESIS), b""
    handle.seek(-1, os.SEEK_END)
    ends_whole = handle.read(1) == b"\n"
    lines = last_lines(handle, 2)
    fragment = b"" if ends_whole or not lines else lines.pop()
    if not lines:
        return Head(0, GENESIS), fragment
    try:
        data = json.loads(lines[-1])
        return Head(int(data["seq"]), str(data["hash"])), fragment
    except (ValueError, KeyError, TypeError):
        return None, fragment


def append_lines(handle: IO[bytes], lines: Iterable[str], fragment: bytes) -> None:
    """Append whole lines; a cut-off line left by a crash is completed if it is their start."""
    data = "".join(line + "\n" for line in lines).encode()
    if fragment:
        data = data[len(fragment) :] if data.startswith(fragment) else b"\n" + data
    handle.write(data)
    handle.flush()


def last_lines(handle: IO[bytes], n: int, block: int = 8192) -> list[bytes]:
    """The last `n` non-empty lines of a binary file, without reading all of it."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    data = b""
    pos = end
    while pos > 0 and data.count(b"\n") <= n:
        step = min(block, pos)
        pos -= step
        handle.seek(pos)
        data = handle.read(step) + data
    lines = [line for line in data.split(b"\n") if line.strip()]
    if pos > 0:
        lines = lines[1:]
    return lines[-n:]


__all__ = ["GENESIS", "FileLock", "Head", "append_lines", "last_lines", "open_locked", "tail"]

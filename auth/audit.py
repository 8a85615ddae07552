"""The audit log: append-only JSONL, one entry per call, hash-chained and anchored in the database.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical JSON of the entry
without its own hash, so editing, deleting, inserting or reordering a line breaks the chain. The
latest seq and hash are also kept in the database, so cutting lines off the end is detected too.
Appends take an exclusive `flock`, so several processes can share one log.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

import pydantic
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update

from charter.auth.home import CharterHome
from charter.auth.storage import create_tables
from charter.schemas import AuditEvent, Decision, Outcome, utcnow

GENESIS = "0" * 64
REDACTED = "[redacted]"

_metadata = MetaData()
audit_head_table = Table(
    "charter_audit_head",
    _metadata,
    Column("log", String(1024), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

_SECRETS = [
    re.compile(p)
    for p in (
        r"\bgh[pousr]_[A-Za-z0-9_]{6,}",
        r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}",
        r"(?i)\btoken\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{12,}",
        r"\bya29\.[A-Za-z0-9._-]+",
        r"\bxox[a-z]-[A-Za-z0-9-]+",
        r"\bchg_[A-Za-z0-9_.-]+",
        r"\b(?:secret|ntn)_[A-Za-z0-9]{16,}",
        r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
        # Long random-looking runs (letters and digits mixed): most bearer secrets look like this.
        # Git SHAs and SHA-256 digests (40 or 64 lowercase hex) are kept: a person needs to see them.
        r"(?<![A-Za-z0-9_-])(?![0-9a-f]{40}(?![A-Za-z0-9_-]))(?![0-9a-f]{64}(?![A-Za-z0-9_-]))"
        r"(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])",
    )
]


def redact(text: str) -> str:
    """`text` with anything that looks like a token or key replaced by `[redacted]`."""
    for pattern in _SECRETS:
        text = pattern.sub(REDACTED, text)
    return text


def redact_data(value: Any) -> Any:
    """`redact` applied to every string inside JSON-like data."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


def digest(value: object) -> str:
    """SHA-256 over canonical JSON: how arguments appear in the log (never in clear)."""
    try:
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    except Exception:
        # Not JSON at all (a cycle, mixed keys, a value whose `str` fails): the entry is still written.
        canonical = f"unserializable {type(value).__name__}"
    return hashlib.sha256(canonical.encode("utf-8", "backslashreplace")).hexdigest()


def entry_hash(fields: Mapping[str, Any]) -> str:
    """The chain hash of an entry given as JSON data without its `hash`."""
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((str(fields["prev_hash"]) + body).encode()).hexdigest()


@dataclass(frozen=True)
class VerifyReport:
    """The result of checking the chain: ok, how many entries, and the first problem found."""

    ok: bool
    entries: int
    problem: str | None = None
    seq: int | None = None


class AuditLog:
    """The append-only, hash-chained record of every call and every decision a person made."""

    def __init__(
        self,
        home: CharterHome | None = None,
        *,
        path: Path | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.home = home or CharterHome()
        self.path = Path(path or self.home.audit_file).resolve()
        self._engine = self.home.engine
        create_tables(_metadata, self._engine)
        self._clock = clock

    def __repr__(self) -> str:
        return f"<AuditLog {str(self.path)!r}>"

    def record(
        self,
        *,
        actor: Literal["agent", "person"],
        subject: str,
        action: str,
        outcome: Outcome,
        agent: str | None = None,
        grant_id: str | None = None,
        args: object | None = None,
        decision: Decision | None = None,
        reasons: Sequence[str] = (),
        approval_id: str | None = None,
        approver: str | None = None,
        error_code: str | None = None,
        result_ref: str | None = None,
        duration_ms: float | None = None,
    ) -> AuditEvent:
        """Append one entry; free text is redacted and arguments are kept only as a digest."""
        fields: dict[str, Any] = {
            "at": self._clock(),
            "actor": actor,
            "agent": agent,
            "subject": subject,
            "grant_id": grant_id,
            "action": action,
            "args_digest": None if args is None else digest(args),
            "decision": decision,
            "reasons": tuple(redact(r) for r in reasons),
            "approval_id": approval_id,
            "approver": None if approver is None else redact(approver),
            "outcome": outcome,
            "error_code": error_code,
            "result_ref": None if result_ref is None else redact(result_ref),
            "duration_ms": None if duration_ms is None else round(duration_ms, 3),
        }
        with self._locked() as handle:
            seq, prev = self._head(handle)
            draft = AuditEvent(seq=seq + 1, prev_hash=prev, hash="", **fields)
            data = draft.model_dump(mode="json", exclude={"hash"})
            event = draft.model_copy(update={"hash": entry_hash(data)})
            line = json.dumps({**data, "hash": event.hash}, sort_keys=True, separators=(",", ":"))
            handle.write((line + "\n").encode())
            handle.flush()
            os.fsync(handle.fileno())
            self._anchor(event.seq, event.hash)
        return event

    def entries(self) -> Iterator[AuditEvent]:
        """Every entry, oldest first."""
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for raw in handle:
                if raw.strip():
                    yield AuditEvent.model_validate_json(raw)

    def tail(self, n: int = 20) -> list[AuditEvent]:
        """The last `n` entries, oldest first, read from the end of the file."""
        if n <= 0 or not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            lines = _last_lines(handle, n)
        return [AuditEvent.model_validate_json(raw) for raw in lines]

    def verify(self) -> VerifyReport:
        """Check every link of the chain and the anchored head; report the first problem."""
        prev, seq = GENESIS, 0
        if self.path.exists():
            with self.path.open("rb") as handle:
                for number, raw in enumerate(handle, start=1):
                    problem = _check_line(raw, seq + 1, prev)
                    if problem is not None:
                        return VerifyReport(False, seq, f"line {number}: {problem}", seq + 1)
                    prev = json.loads(raw)["hash"]
                    seq += 1
        return _check_head(seq, prev, self._anchored())

    # -- internals -----------------------------------------------------------------------------

    def _locked(self) -> _Lock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        return _Lock(os.fdopen(fd, "a+b"))

    def _head(self, handle: IO[bytes]) -> tuple[int, str]:
        """Where the next entry chains from: the anchor, or an intact entry an interrupted append left."""
        seq, prev = self._anchored()
        last = _last_lines(handle, 1)
        if last:
            try:
                data = json.loads(last[0])
            except ValueError:
                return seq, prev
            if isinstance(data, dict) and data.get("seq") == seq + 1 and data.get("prev_hash") == prev:
                body = {k: v for k, v in data.items() if k != "hash"}
                if entry_hash(body) == data.get("hash"):
                    return seq + 1, str(data["hash"])
        return seq, prev

    def _anchored(self) -> tuple[int, str]:
        t = audit_head_table
        with self._engine.connect() as conn:
            row = conn.execute(select(t.c.seq, t.c.hash).where(t.c.log == str(self.path))).first()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    def _anchor(self, seq: int, hash_: str) -> None:
        t = audit_head_table
        with self._engine.begin() as conn:
            done = conn.execute(update(t).where(t.c.log == str(self.path)).values(seq=seq, hash=hash_))
            if done.rowcount == 0:
                conn.execute(t.insert().values(log=str(self.path), seq=seq, hash=hash_))


class _Lock:
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


def _check_head(seq: int, last_hash: str, anchored: tuple[int, str]) -> VerifyReport:
    head_seq, head_hash = anchored
    if head_seq > seq:
        problem = f"the log ends at seq {seq} but seq {head_seq} was written: entries at the end were deleted"
        return VerifyReport(False, seq, problem, seq + 1)
    if head_seq == seq and head_hash != last_hash:
        return VerifyReport(
            False, seq, f"seq {seq} differs from the anchored entry: the end was rewritten", seq
        )
    if head_seq < seq:
        problem = (
            f"entries after seq {head_seq} are not anchored: written outside Charter or by an "
            "interrupted append"
        )
        return VerifyReport(False, seq, problem, head_seq + 1)
    return VerifyReport(True, seq)


def _check_line(raw: bytes, seq: int, prev: str) -> str | None:
    try:
        data = json.loads(raw)
        AuditEvent.model_validate(data)
    except (ValueError, pydantic.ValidationError):
        return "not a valid audit entry (edited by hand?)"
    if data["seq"] != seq:
        return f"expected seq {seq}, found {data['seq']}: an entry was deleted, inserted or reordered"
    if data["prev_hash"] != prev:
        return f"seq {seq} does not follow seq {seq - 1}: an entry was deleted, inserted or reordered"
    if entry_hash({k: v for k, v in data.items() if k != "hash"}) != data["hash"]:
        return f"seq {seq} was edited: its hash does not match its content"
    return None


def _last_lines(handle: IO[bytes], n: int, block: int = 8192) -> list[bytes]:
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


__all__ = ["GENESIS", "AuditLog", "VerifyReport", "digest", "entry_hash", "redact", "redact_data"]

"""The audit log: append-only JSONL, one entry per call, hash-chained and recorded in the database.

Each entry's hash is SHA-256 over the previous entry's hash and the canonical JSON of the entry
without its own hash, so editing, deleting, inserting or reordering a line breaks the chain.
Every entry is committed to the database, under the home's identity, *before* its line is written:
the database vouches for each line, so a line it did not record is never chained onto and `verify`
names it, and lines the file lost (an append cut short after the commit, a truncation) are written
back by the next append. Appends take an exclusive `flock`, so several processes share one log;
each entry then leaves the machine through the sinks the operator configured (`audit_sinks`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

import pydantic
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Executable,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    inspect,
    select,
)
from sqlalchemy.exc import IntegrityError

from charter.auth.audit_file import GENESIS, Head, append_lines, last_lines, open_locked, tail
from charter.auth.audit_group import GroupCommit
from charter.auth.audit_sinks import AuditSink, compare_shipped, read_shipped, ship, sinks_from_config
from charter.auth.home import CharterHome
from charter.auth.redaction import REDACTED, redact, redact_data
from charter.auth.storage import create_tables, synced_engine
from charter.schemas import AuditEvent, ConfigurationError, Decision, Outcome, utcnow

_log = logging.getLogger("charter.audit")

_metadata = MetaData()
audit_chain_table = Table(
    "charter_audit_chain",
    _metadata,
    Column("chain", String(200), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("entry", Text, nullable=False),
)


# Built once: constructing a statement costs more than running it, on every append.
_HEAD = (
    select(audit_chain_table.c.seq, audit_chain_table.c.hash)
    .where(audit_chain_table.c.chain == bindparam("chain"))
    .order_by(audit_chain_table.c.seq.desc())
    .limit(1)
)
_INSERT = audit_chain_table.insert()

# Before homes had an identity the head was kept per log path; read once to carry a log over.
_path_anchors = Table(
    "charter_audit_head",
    MetaData(),
    Column("log", String(1024), primary_key=True),
    Column("seq", BigInteger),
    Column("hash", String(64)),
)


# A row another store keeps beside an entry (the call's sealed replay record): made from the chained
# entry and committed in the entry's own transaction, so the call pays one commit, not two.
Attachment = Callable[[AuditEvent], tuple[Executable, Mapping[str, Any]]]


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
        sinks: Sequence[AuditSink] | None = None,
    ) -> None:
        self.home = home or CharterHome()
        self.path = Path(path or self.home.audit_file).resolve()
        # Keyed by the home's identity, not its path: a copied or restored home keeps its chain,
        # and homes at the same path on different workers sharing one database never collide.
        self.chain = self.home.identity + ("" if path is None else f":{self.path.name}")
        self._engine = self.home.engine
        self._synced = synced_engine(self._engine)
        create_tables(_metadata, self._engine)
        self._clock = clock
        self.sinks = list(sinks) if sinks is not None else sinks_from_config(self.home)
        self._adopt_path_anchor()
        self._commits = GroupCommit(self._append_group)

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
        verified_by: str | None = None,
        attach: Attachment | None = None,
    ) -> AuditEvent:
        """Append one entry; free text is redacted and arguments are kept only as a digest.

        `attach` makes a row of another table from the chained entry, committed with it.
        """
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
        if verified_by is not None:
            # Not redacted: a passkey's credential id is public, and the store checks the value's shape.
            fields["verified_by"] = verified_by
        return self._commits.append((fields, attach))

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
            lines = last_lines(handle, n)
        return [AuditEvent.model_validate_json(raw) for raw in lines]

    def verify(self) -> VerifyReport:
        """Check every link of the chain and every line against the database; report the first problem."""
        prev, seq = GENESIS, 0
        with self._engine.connect() as conn:
            recorded = _recorded(conn, self.chain)
            if self.path.exists():
                with self.path.open("rb") as handle:
                    for number, raw in enumerate(handle, start=1):
                        problem = _check_line(raw, seq + 1, prev) or _check_recorded(
                            raw, seq + 1, next(recorded, None)
                        )
                        if problem is not None:
                            return VerifyReport(False, seq, f"line {number}: {problem}", seq + 1)
                        prev = json.loads(raw)["hash"]
                        seq += 1
            missing = next(recorded, None)
        if missing is not None:
            problem = (
                f"the log ends at seq {seq} but the database recorded seq {missing.seq} and on: "
                "entries at the end were deleted, or an append was cut short (the next one writes them back)"
            )
            return VerifyReport(False, seq, problem, seq + 1)
        return VerifyReport(True, seq)

    def verify_against(self, shipped: Path) -> VerifyReport:
        """Check the local log against what left the machine (a sink's file); then the chain itself."""
        local = _local_heads(self.path)
        problem, seq = compare_shipped(local, read_shipped(shipped), self.home)
        if problem is not None:
            return VerifyReport(False, len(local), problem, seq)
        return self.verify()

    # -- internals -----------------------------------------------------------------------------

    def _adopt_path_anchor(self) -> None:
        """Carry over a log anchored by its path (before homes had an identity), if it is intact."""
        old = _path_anchors
        with self._engine.connect() as conn:
            if _head(conn, self.chain).seq or not inspect(conn).has_table(old.name):
                return
            row = conn.execute(select(old.c.seq, old.c.hash).where(old.c.log == str(self.path))).first()
            lines = [] if row is None else _intact_lines(self.path)
            if row is None or not lines or Head(int(row[0]), str(row[1])) != lines[-1][0]:
                return
            values = [{"chain": self.chain, "seq": h.seq, "hash": h.hash, "entry": line} for h, line in lines]
            conn.execute(audit_chain_table.insert(), values)
            conn.commit()

    def _write_back(self, handle: IO[bytes], conn: Connection, head: Head) -> bytes:
        """Restore lines the database holds and the file lost; return a cut-off last line, if any."""
        last, fragment = tail(handle)
        if last == head:
            return fragment
        if (
            last is not None
            and last.seq < head.seq
            and _recorded_hash(conn, self.chain, last.seq) == last.hash
        ):
            t = audit_chain_table
            rows = conn.execute(
                select(t.c.entry).where(t.c.chain == self.chain, t.c.seq > last.seq).order_by(t.c.seq)
            )
            lost = [str(entry) for (entry,) in rows]
            _log.warning("audit log %s lacked %d recorded entries: written back", self.path, len(lost))
            append_lines(handle, lost, fragment)
            ship(self.sinks, self.home, lost)
            return b""
        # Lines the database never recorded (or a rewritten end): never chain onto them.
        _log.warning(
            "audit log %s does not end at the recorded seq %d: see charter audit verify", self.path, head.seq
        )
        return fragment

    def _append_group(self, group: Sequence[tuple[dict[str, Any], Attachment | None]]) -> list[AuditEvent]:
        """Chain, commit (one transaction, one sync) and write the entries of one group, in order."""
        # A connection whose commits survive a power cut (SQLite's NORMAL sync may drop the last).
        with open_locked(self.path) as handle, self._synced.connect() as conn:
            head = _head(conn, self.chain)
            fragment = self._write_back(handle, conn, head)
            events: list[AuditEvent] = []
            lines: list[str] = []
            for fields, _ in group:
                draft = AuditEvent(seq=head.seq + 1, prev_hash=head.hash, hash="", **fields)
                data = draft.model_dump(mode="json", exclude={"hash"})
                event = draft.model_copy(update={"hash": entry_hash(data)})
                lines.append(json.dumps({**data, "hash": event.hash}, sort_keys=True, separators=(",", ":")))
                events.append(event)
                head = Head(event.seq, event.hash)
            self._commit(conn, events, lines, _attached(group, events))
            # The database holds the entries durably now; the file is written back from it if lost.
            append_lines(handle, lines, fragment)
            ship(self.sinks, self.home, lines)
        return events

    def _commit(
        self,
        conn: Connection,
        events: Sequence[AuditEvent],
        lines: Sequence[str],
        attached: Mapping[Executable, list[Mapping[str, Any]]],
    ) -> None:
        rows = [
            {"chain": self.chain, "seq": e.seq, "hash": e.hash, "entry": line}
            for e, line in zip(events, lines, strict=True)
        ]
        try:
            conn.execute(_INSERT, rows)
        except IntegrityError:
            raise ConfigurationError(
                f"another process appended seq {events[0].seq} to this home's audit chain without its lock: "
                f"two copies of the home {self.home.identity} write to one database. Give each worker "
                "its own home (a new one gets a new identity), or let them share one home directory"
            ) from None
        for statement, params in attached.items():
            conn.execute(statement, params)
        conn.commit()


def _attached(
    group: Sequence[tuple[dict[str, Any], Attachment | None]], events: Sequence[AuditEvent]
) -> dict[Executable, list[Mapping[str, Any]]]:
    """The attached rows of a group's entries, by statement (one executemany each)."""
    by_statement: dict[Executable, list[Mapping[str, Any]]] = {}
    for (_, attach), event in zip(group, events, strict=True):
        if attach is None:
            continue
        try:
            statement, params = attach(event)
        except Exception as exc:
            # An attached row only adds to the entry (a replay record): losing it never loses the entry.
            _log.warning("a row kept beside audit entry %d was not made: %s", event.seq, type(exc).__name__)
            continue
        by_statement.setdefault(statement, []).append(params)
    return by_statement


def _head(conn: Connection, chain: str) -> Head:
    row = conn.execute(_HEAD, {"chain": chain}).first()
    return Head(int(row[0]), str(row[1])) if row else Head(0, GENESIS)


def _recorded_hash(conn: Connection, chain: str, seq: int) -> str | None:
    if seq == 0:
        return GENESIS
    t = audit_chain_table
    found = conn.execute(select(t.c.hash).where(t.c.chain == chain, t.c.seq == seq)).scalar()
    return None if found is None else str(found)


def _recorded(conn: Connection, chain: str) -> Iterator[Head]:
    t = audit_chain_table
    rows = conn.execution_options(yield_per=1000).execute(
        select(t.c.seq, t.c.hash).where(t.c.chain == chain).order_by(t.c.seq)
    )
    return (Head(int(seq), str(hash_)) for seq, hash_ in rows)


def _intact_lines(path: Path) -> list[tuple[Head, str]]:
    """The log's lines with their heads if the whole chain holds, else nothing."""
    lines: list[tuple[Head, str]] = []
    if not path.exists():
        return lines
    prev = GENESIS
    for raw in path.read_bytes().splitlines():
        if _check_line(raw, len(lines) + 1, prev) is not None:
            return []
        prev = json.loads(raw)["hash"]
        lines.append((Head(len(lines) + 1, prev), raw.decode()))
    return lines


def _local_heads(path: Path) -> list[tuple[int, str]]:
    """(seq, hash) of every line that parses, in file order."""
    if not path.exists():
        return []
    heads: list[tuple[int, str]] = []
    for raw in path.read_bytes().splitlines():
        try:
            data = json.loads(raw)
            heads.append((int(data["seq"]), str(data["hash"])))
        except (ValueError, KeyError, TypeError):
            continue
    return heads


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


def _check_recorded(raw: bytes, seq: int, recorded: Head | None) -> str | None:
    if recorded is None or recorded.seq != seq:
        return f"seq {seq} is not in the database: it was written outside Charter"
    if json.loads(raw)["hash"] != recorded.hash:
        return f"seq {seq} differs from the entry the database recorded: it was rewritten"
    return None


__all__ = [
    "GENESIS",
    "REDACTED",
    "Attachment",
    "AuditLog",
    "VerifyReport",
    "digest",
    "entry_hash",
    "redact",
    "redact_data",
]

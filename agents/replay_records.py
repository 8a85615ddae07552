"""The encrypted, expiring record of each call's validated arguments, so a policy can be replayed.

The audit log keeps arguments only as a digest. To answer "what would this stricter policy have done
to last week's calls", the Toolkit also keeps, per audit entry, what policy read of the call: the
action, its risks, the validated request and the grant's claims, sealed under the vault's keys
(bound to the entry's chain and seq, so a record copied onto another entry does not open) and
purged after `CHARTER_REPLAY_RETENTION_DAYS` days (default 7; 0 keeps nothing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel
from sqlalchemy import BigInteger, Column, Float, MetaData, String, Table, Text, delete, select
from sqlalchemy.sql.dml import Insert

from charter.auth.audit import Attachment
from charter.auth.crypto import KeySet, load_keys
from charter.auth.home import CharterHome
from charter.auth.policy import ActionFacts
from charter.auth.storage import create_tables
from charter.schemas import AuditEvent, ConfigurationError, GrantClaims, utcnow

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

RETENTION_ENV = "CHARTER_REPLAY_RETENTION_DAYS"
DEFAULT_RETENTION = timedelta(days=7)
# Expired records are purged when a store opens and then once every this many records kept.
_PURGE_EVERY = 256

_metadata = MetaData()
replay_table = Table(
    "charter_replay_records",
    _metadata,
    Column("chain", String(200), primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("sealed", Text, nullable=False),
)


@dataclass(frozen=True)
class ReplayRecord:
    """What policy read of one call: the action as policy names it, its risks, request and grant."""

    tool: str
    verb: str
    risks: tuple[str, ...]
    request: dict[str, object]
    claims: GrantClaims
    account: str | None
    at: datetime
    facts: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {"tool": self.tool, "verb": self.verb, "risks": list(self.risks), "request": self.request,
             "claims": self.claims.model_dump(mode="json"), "account": self.account,
             "at": self.at.isoformat(), "facts": self.facts},
            sort_keys=True, separators=(",", ":"),
        )  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> ReplayRecord:
        data = json.loads(text)
        return cls(
            data["tool"], data["verb"], tuple(data["risks"]), data["request"],
            GrantClaims.model_validate(data["claims"]), data["account"], datetime.fromisoformat(data["at"]),
            data.get("facts", {}),
        )  # fmt: skip


def retention_from_env() -> timedelta:
    raw = os.environ.get(RETENTION_ENV, "")
    if not raw:
        return DEFAULT_RETENTION
    try:
        days = float(raw)
    except ValueError:
        days = -1.0
    if days < 0 or days > 3650:
        raise ConfigurationError(f"{RETENTION_ENV} must be a number of days from 0 to 3650, e.g. 7")
    return timedelta(days=days)


class ReplayRecords:
    """The sealed records of one home's audit chain, keyed by the entry's seq."""

    def __init__(
        self,
        home: CharterHome,
        chain: str,
        *,
        retention: timedelta | None = None,
        keys: KeySet | None = None,
    ) -> None:
        self.chain = chain
        self.retention = retention_from_env() if retention is None else retention
        self._engine = home.engine
        self._keys = keys or load_keys(home.key_file)
        self._kept = 0
        self._upsert = _upsert(self._engine.dialect.name)
        create_tables(_metadata, self._engine)
        self.purge()

    def __repr__(self) -> str:
        return f"<ReplayRecords chain={self.chain!r} retention={self.retention}>"

    def attachment(self, record: ReplayRecord) -> Attachment | None:
        """`record` as a row committed with its audit entry (`AuditLog.record(attach=...)`), sealed then.

        None for a zero retention. Call `committed` once the entry is recorded.
        """
        if self.retention <= timedelta(0):
            return None
        return lambda event: (self._upsert, self._row(event, record))

    def committed(self, count: int = 1) -> None:
        """Count records committed with their entries; expired ones are purged now and then."""
        self._kept += count
        if self._kept // _PURGE_EVERY != (self._kept - count) // _PURGE_EVERY:
            self.purge()

    def get(self, seqs: Iterable[int], now: datetime | None = None) -> dict[int, ReplayRecord]:
        """The unexpired records of these entries that open under the keys, by seq."""
        wanted = sorted(set(seqs))
        moment = (now or utcnow()).timestamp()
        found: dict[int, ReplayRecord] = {}
        t = replay_table
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                rows = conn.execute(
                    select(t.c.seq, t.c.sealed).where(
                        t.c.chain == self.chain,
                        t.c.seq.in_(wanted[start : start + 500]),
                        t.c.expires_at > moment,
                    )
                )
                for seq, sealed in rows:
                    found[int(seq)] = ReplayRecord.from_json(self._keys.decrypt(sealed, self._aad(int(seq))))
        return found

    def purge(self, now: datetime | None = None) -> int:
        """Delete every expired record; return how many."""
        moment = (now or utcnow()).timestamp()
        with self._engine.begin() as conn:
            result = conn.execute(delete(replay_table).where(replay_table.c.expires_at <= moment))
        return int(result.rowcount or 0)

    def _row(self, event: AuditEvent, record: ReplayRecord) -> dict[str, object]:
        sealed = self._keys.encrypt(record.to_json(), self._aad(event.seq))
        expires = (event.at + self.retention).timestamp()
        return {"chain": self.chain, "seq": event.seq, "expires_at": expires, "sealed": sealed}

    def _aad(self, seq: int) -> bytes:
        return f"replay/{self.chain}/{seq}".encode()


def _upsert(dialect: str) -> Insert:
    """Insert a record, replacing one a lost entry of the same seq left: it never fails the entry's commit."""
    # Only the dialect in use is imported: PostgreSQL's (with asyncpg's) would cost a SQLite home's start.
    made: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        made = postgresql_insert(replay_table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        made = sqlite_insert(replay_table)
    return made.on_conflict_do_update(
        index_elements=[replay_table.c.chain, replay_table.c.seq],
        set_={"expires_at": made.excluded.expires_at, "sealed": made.excluded.sealed},
    )


def record_of(
    tool: str, spec: ActionFacts, request: BaseModel, claims: GrantClaims, account: str | None,
    at: datetime, facts: Mapping[str, BaseModel],
) -> ReplayRecord:  # fmt: skip
    """What policy read of one call, as a record to seal."""
    seen: dict[str, object] = {name: fact.model_dump(mode="json") for name, fact in facts.items()}
    dumped = request.model_dump(mode="json")
    return ReplayRecord(tool, spec.verb, tuple(sorted(spec.risks)), dumped, claims, account, at, seen)


__all__ = [
    "DEFAULT_RETENTION",
    "RETENTION_ENV",
    "ReplayRecord",
    "ReplayRecords",
    "record_of",
    "retention_from_env",
]

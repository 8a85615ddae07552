"""Drafts and the write ledger kept in the Charter database, so they outlive the process.

They implement `charter.connectors.DraftStore` and `WriteLedger`: a draft made by one call can be
committed by a later one (after a person's approval), and an idempotency key that already
committed replays its result instead of writing again, across processes and workers. A write's
intent is recorded before it is sent, so a call in another process that finds attempts whose
answers were lost looks for their effect in the service before it sends anything.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, Text, delete, select, update
from sqlalchemy.exc import IntegrityError

from charter.auth.home import CharterHome
from charter.auth.storage import UTCDateTime, create_tables
from charter.connectors import WriteIntent
from charter.schemas import Draft, NotFound, WriteResult, utcnow

_KEY_LENGTH = 512
_metadata = MetaData()
drafts_table = Table(
    "charter_drafts",
    _metadata,
    Column("id", String(64), primary_key=True),
    Column("connector", String(64), nullable=False),
    Column("connection", String(255), nullable=False, index=True),
    Column("action", String(128), nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("committed", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
ledger_table = Table(
    "charter_write_ledger",
    _metadata,
    Column("key", String(_KEY_LENGTH), primary_key=True),
    Column("action", String(128), nullable=False),
    Column("result", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Kept apart from the results so a home made before intents were recorded needs no migration.
intents_table = Table(
    "charter_write_intents",
    _metadata,
    Column("key", String(512), primary_key=True),
    Column("action", String(128), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", Float),
    Column("progress", Text),
    Column("claimed_until", Float, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


class SQLDraftStore:
    """Drafts in the Charter database (SQLite by default, Postgres for shared workers)."""

    def __init__(self, home: CharterHome | None = None) -> None:
        self.home = home or CharterHome()
        self._engine = self.home.engine
        create_tables(_metadata, self._engine)

    def save(self, draft: Draft) -> None:
        values = {
            "connector": draft.connector,
            "connection": draft.connection,
            "action": draft.action,
            "payload_hash": draft.payload_hash,
            "body": draft.model_dump_json(),
            "committed": draft.committed,
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(drafts_table.insert().values(id=draft.id, created_at=utcnow(), **values))
        except IntegrityError:
            with self._engine.begin() as conn:
                conn.execute(update(drafts_table).where(drafts_table.c.id == draft.id).values(**values))

    def get(self, draft_id: str) -> Draft | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(drafts_table.c.body, drafts_table.c.committed).where(drafts_table.c.id == draft_id)
            ).first()
        if row is None:
            return None
        return Draft.model_validate_json(row[0]).model_copy(update={"committed": bool(row[1])})

    def mark_committed(self, draft_id: str) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(
                update(drafts_table).where(drafts_table.c.id == draft_id).values(committed=True)
            )
        if done.rowcount == 0:
            raise NotFound(f"no draft {draft_id!r}; create one with a draft action")


class SQLWriteLedger:
    """Write intents, and committed idempotency keys with their results (the first result stands)."""

    def __init__(self, home: CharterHome | None = None) -> None:
        self.home = home or CharterHome()
        self._engine = self.home.engine
        create_tables(_metadata, self._engine)

    def get(self, key: str) -> WriteResult | None:
        with self._engine.connect() as conn:
            body = conn.execute(
                select(ledger_table.c.result).where(ledger_table.c.key == _stored_key(key))
            ).scalar_one_or_none()
        return None if body is None else WriteResult.model_validate_json(body)

    def put(self, key: str, result: WriteResult) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    ledger_table.insert().values(
                        key=_stored_key(key),
                        action=result.action,
                        result=result.model_dump_json(),
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            # Another worker recorded this key first; its result is the one that stands.
            pass
        with self._engine.begin() as conn:
            conn.execute(delete(intents_table).where(intents_table.c.key == key))

    def claim(self, key: str, action: str, *, now: float, until: float) -> WriteIntent | None:
        t = intents_table
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    t.insert().values(
                        key=key, action=action, attempts=0, claimed_until=until, created_at=utcnow()
                    )
                )
            return WriteIntent(key, action)
        except IntegrityError:
            pass
        with self._engine.begin() as conn:
            # One atomic UPDATE decides between callers racing for an intent nobody holds.
            taken = conn.execute(
                update(t).where(t.c.key == key, t.c.claimed_until <= now).values(claimed_until=until)
            )
            if taken.rowcount != 1:
                return None
            row = conn.execute(
                select(t.c.action, t.c.attempts, t.c.sent_at, t.c.progress).where(t.c.key == key)
            ).one()
        return WriteIntent(key, row[0], row[1], row[2], row[3])

    def sending(self, key: str, *, now: float) -> None:
        t = intents_table
        with self._engine.begin() as conn:
            conn.execute(update(t).where(t.c.key == key).values(attempts=t.c.attempts + 1, sent_at=now))

    def note(self, key: str, progress: str) -> None:
        t = intents_table
        with self._engine.begin() as conn:
            conn.execute(update(t).where(t.c.key == key).values(progress=progress))

    def release(self, key: str, *, nothing_sent: bool) -> None:
        t = intents_table
        with self._engine.begin() as conn:
            if nothing_sent:
                conn.execute(delete(t).where(t.c.key == key))
            else:
                conn.execute(update(t).where(t.c.key == key).values(claimed_until=0.0))


def _stored_key(key: str) -> str:
    """The key as the ledger keeps it: a key too long for its column is kept as its digest.

    Refusing a long key at `put` would come after the write was sent, and a retry would repeat it.
    """
    if len(key) <= _KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


__all__ = ["SQLDraftStore", "SQLWriteLedger"]

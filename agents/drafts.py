"""Drafts and the write ledger kept in the Charter database, so they outlive the process.

They implement `charter.connectors.DraftStore` and `WriteLedger`: a draft made by one call can be
committed by a later one (after a person's approval), and an idempotency key that already
committed replays its result instead of writing again, across processes and workers.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Boolean, Column, MetaData, String, Table, Text, select, update
from sqlalchemy.exc import IntegrityError

from charter.auth.home import CharterHome
from charter.auth.storage import UTCDateTime, create_tables
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
    """Committed idempotency keys and their results; the first result for a key is kept."""

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
            return


def _stored_key(key: str) -> str:
    """The key as the ledger keeps it: a key too long for its column is kept as its digest.

    Refusing a long key at `put` would come after the write was sent, and a retry would repeat it.
    """
    if len(key) <= _KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


__all__ = ["SQLDraftStore", "SQLWriteLedger"]

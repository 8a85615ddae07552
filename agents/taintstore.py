"""Taint kept in the Charter database per grant, so a second session or process sees what the first read.

Only fingerprints are stored (hashes of word runs and of pieces of secret-shaped tokens, never the
text), with the place the text was read from, and the pieces of read secrets that already went
out in earlier writes, so a secret sent a piece at a time is recognised when the pieces add up.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, select

from charter.auth.home import CharterHome
from charter.auth.storage import create_tables

SOURCE_CHARS = 255
_metadata = MetaData()
prints_table = Table(
    "charter_taint_prints",
    _metadata,
    Column("grant_id", String(64), nullable=False, index=True),
    Column("fp", BigInteger, nullable=False),
    Column("source", String(SOURCE_CHARS), nullable=False),
)
secrets_table = Table(
    "charter_taint_secrets",
    _metadata,
    Column("grant_id", String(64), nullable=False, index=True),
    Column("token", BigInteger, nullable=False),
    Column("length", Integer, nullable=False),
    # The token's pieces (hashes of its character runs), comma separated.
    Column("grams", Text, nullable=False),
    Column("source", String(SOURCE_CHARS), nullable=False),
)
outward_table = Table(
    "charter_taint_outward",
    _metadata,
    Column("grant_id", String(64), nullable=False, index=True),
    Column("gram", BigInteger, nullable=False),
)

Secret = tuple[int, int, frozenset[int], str]


class TaintStore:
    """A grant's taint fingerprints in the home's database (SQLite by default, Postgres when shared)."""

    def __init__(self, home: CharterHome) -> None:
        self._engine = home.engine
        create_tables(_metadata, self._engine)

    def load(self, grant_id: str) -> tuple[list[tuple[int, str]], list[Secret], set[int]]:
        """Everything recorded for `grant_id`: word-run prints, secret tokens, pieces gone out."""
        with self._engine.connect() as conn:
            prints = [
                (int(r.fp), str(r.source))
                for r in conn.execute(select(prints_table).where(prints_table.c.grant_id == grant_id))
            ]
            secrets = [
                (int(r.token), int(r.length), frozenset(int(g) for g in r.grams.split(",") if g), r.source)
                for r in conn.execute(select(secrets_table).where(secrets_table.c.grant_id == grant_id))
            ]
            out = {
                int(r.gram)
                for r in conn.execute(select(outward_table).where(outward_table.c.grant_id == grant_id))
            }
        return prints, secrets, out

    def add(
        self,
        grant_id: str,
        prints: Iterable[tuple[int, str]] = (),
        secrets: Iterable[Secret] = (),
        out: Iterable[int] = (),
    ) -> None:
        """Record new fingerprints of `grant_id` in one transaction."""
        rows = [{"grant_id": grant_id, "fp": fp, "source": s[:SOURCE_CHARS]} for fp, s in prints]
        tokens = [
            {
                "grant_id": grant_id,
                "token": token,
                "length": length,
                "grams": ",".join(str(g) for g in sorted(grams)),
                "source": source[:SOURCE_CHARS],
            }
            for token, length, grams, source in secrets
        ]
        grams = [{"grant_id": grant_id, "gram": g} for g in out]
        if not (rows or tokens or grams):
            return
        with self._engine.begin() as conn:
            for table, values in ((prints_table, rows), (secrets_table, tokens), (outward_table, grams)):
                if values:
                    conn.execute(table.insert(), values)


__all__ = ["TaintStore"]

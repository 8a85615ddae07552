"""The audit log commits synced, on connections opened so; rows attached to an entry share its commit."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, event, select
from sqlalchemy.exc import IntegrityError

from charter.auth.audit import AuditLog, audit_chain_table
from charter.auth.home import CharterHome
from charter.auth.storage import create_tables, synced_engine

_notes = Table(
    "test_audit_notes", MetaData(), Column("seq", Integer, primary_key=True), Column("note", String(20))
)


def _synchronous(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())


def _statements(engine: Engine, seen: list[tuple[int, str]]) -> None:
    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append((id(conn.connection.dbapi_connection), statement.split()[0].upper()))

    def commit(conn: Any) -> None:
        seen.append((id(conn.connection.dbapi_connection), "COMMIT"))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", commit)


def test_audit_commits_are_synced_without_switching_the_homes_connections(tmp_path: Any) -> None:
    home = CharterHome(tmp_path / "home")
    log = AuditLog(home, sinks=[])
    seen: list[tuple[int, str]] = []
    _statements(synced_engine(home.engine), seen)
    for i in range(3):
        log.record(actor="agent", subject="mona", action="x", args={"i": i}, outcome="ok")
    assert seen
    assert all(kind != "PRAGMA" for _, kind in seen)
    assert [kind for _, kind in seen].count("COMMIT") == 3
    # 2 is FULL: each commit syncs the WAL; the home's other stores keep NORMAL (1), no sync per commit.
    assert _synchronous(synced_engine(home.engine)) == 2
    assert _synchronous(home.engine) == 1
    assert synced_engine(home.engine) is synced_engine(home.engine)


def test_a_row_attached_to_an_entry_is_committed_in_the_entrys_transaction(home: CharterHome) -> None:
    create_tables(_notes.metadata, home.engine)
    log = AuditLog(home, sinks=[])
    seen: list[tuple[int, str]] = []
    _statements(synced_engine(home.engine), seen)
    made = log.record(
        actor="agent", subject="mona", action="x", outcome="ok",
        attach=lambda entry: (_notes.insert(), {"seq": entry.seq, "note": f"of {entry.hash[:8]}"}),
    )  # fmt: skip
    kinds = [kind for _, kind in seen]
    assert kinds[-3:] == ["INSERT", "INSERT", "COMMIT"]
    assert len({conn for conn, _ in seen[-3:]}) == 1
    with home.engine.connect() as conn:
        assert conn.execute(select(_notes.c.seq, _notes.c.note)).all() == [(made.seq, f"of {made.hash[:8]}")]


def test_an_attachment_that_cannot_be_made_never_loses_the_entry(
    home: CharterHome, caplog: pytest.LogCaptureFixture
) -> None:
    log = AuditLog(home, sinks=[])

    def broken(entry: object) -> Any:
        raise RuntimeError("no key")

    with caplog.at_level(logging.WARNING, logger="charter.audit"):
        made = log.record(actor="agent", subject="mona", action="x", outcome="ok", attach=broken)
    assert "was not made: RuntimeError" in caplog.text
    assert log.verify().ok
    assert [e.seq for e in log.entries()] == [made.seq]
    with home.engine.connect() as conn:
        assert conn.execute(select(audit_chain_table.c.seq)).scalars().all() == [made.seq]


def test_an_attached_row_that_fails_fails_the_entry_with_it(home: CharterHome) -> None:
    # One transaction: the entry is never committed without the rows it carries, nor they without it.
    create_tables(_notes.metadata, home.engine)
    with home.engine.begin() as conn:
        conn.execute(_notes.insert(), {"seq": 1, "note": "taken"})
    log = AuditLog(home, sinks=[])
    with pytest.raises(IntegrityError):
        log.record(
            actor="agent", subject="mona", action="x", outcome="ok",
            attach=lambda entry: (_notes.insert(), {"seq": entry.seq, "note": "again"}),
        )  # fmt: skip
    with home.engine.connect() as conn:
        assert conn.execute(select(audit_chain_table.c.seq)).all() == []
    assert log.record(actor="agent", subject="mona", action="x", outcome="ok").seq == 1

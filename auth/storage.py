"""The database under a Charter home: engine set-up (SQLite file or a shared Postgres) and table helpers.

SQLite is the embedded default, one file per home. Many workers share Postgres by URL; each process
keeps one connection pool per URL, whichever stores (vault, grants, approvals, drafts, ledger, audit
anchor) it opens, so building a store per request does not open a pool per request.
"""

from __future__ import annotations

import os
import threading
import weakref
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Dialect,
    Engine,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import DataError as SQLDataError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert, Update

from charter.schemas import ConfigurationError, DatabaseUnavailable, ValidationError

POOL_SIZE_ENV = "CHARTER_DATABASE_POOL_SIZE"
POSTGRES_DRIVER = "postgresql+psycopg"
# pg_advisory_xact_lock key held while a worker creates missing tables ("chartr" in ASCII).
_SCHEMA_LOCK = 0x636861727472

_engines: dict[str, Engine] = {}
_engines_guard = threading.Lock()
_synced: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps (SQLite keeps naive text)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Charter stores aware UTC datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def sqlite_engine(path: Path) -> Engine:
    """The home's own SQLite file, created 0600, in WAL mode."""
    if not path.exists():
        # Created 0600 before SQLite opens it: tokens are encrypted, but metadata is private too.
        path.touch(mode=0o600)
    return _guarded(create_engine(f"sqlite:///{path}"))


def synced_engine(engine: Engine) -> Engine:
    """An engine on the same database whose every commit is synced to disk (the audit log's).

    On SQLite its connections are opened with `synchronous=FULL`, so no commit switches the setting
    back and forth; Postgres syncs every commit already (synchronous_commit), so it is the engine itself.
    """
    if engine.dialect.name != "sqlite":
        return engine
    with _engines_guard:
        synced = _synced.get(engine)
        if synced is None:
            synced = _synced[engine] = _guarded(create_engine(engine.url))
            event.listen(synced, "connect", _sqlite_full_sync)
        return synced


def _sqlite_full_sync(dbapi_conn: Any, _record: object) -> None:
    # After `_sqlite_pragmas`: WAL's NORMAL sync may lose the last commits on a power cut; FULL does not.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # WAL with NORMAL sync cannot corrupt the file; a power cut may lose the last commits,
    # which costs at worst a reconnect, and it takes a disk flush off every agent call.
    cur.execute("PRAGMA synchronous=NORMAL")
    # Writers queue on SQLite's one file lock instead of failing at once.
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def shared_engine(database_url: str) -> Engine:
    """This process's engine (and pool) for a database URL such as CHARTER_DATABASE_URL."""
    with _engines_guard:
        engine = _engines.get(database_url)
        if engine is None:
            engine = _engines[database_url] = _open(database_url)
        return engine


def close_engines() -> None:
    """Close every pooled connection this process holds (a worker shutting down, a test database dropped)."""
    with _engines_guard:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def _open(database_url: str) -> Engine:
    url = _database_url(database_url)
    postgres = url.get_backend_name() == "postgresql"
    pool: dict[str, Any] = {
        "pool_size": _pool_size(),
        "max_overflow": _pool_size(),
        # A worker outlives database restarts and idle timeouts of proxies: test before use.
        "pool_pre_ping": True,
        "pool_recycle": 1800,
    }
    try:
        return _guarded(create_engine(url, **(pool if postgres else {})))
    except ImportError:
        extra = "pip install 'charter[postgres]'" if postgres else "install the driver the URL names"
        raise ConfigurationError(f"the driver of CHARTER_DATABASE_URL is not installed: {extra}") from None


def _database_url(database_url: str) -> URL:
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise ConfigurationError(
            "CHARTER_DATABASE_URL is not a database URL: use postgresql://user@host:5432/dbname"
        ) from None
    if url.drivername in ("postgres", "postgresql"):
        # Plain postgresql:// would mean psycopg2; Charter's extra installs psycopg 3.
        url = url.set(drivername=POSTGRES_DRIVER)
    return url


def _pool_size() -> int:
    raw = os.environ.get(POOL_SIZE_ENV, "5")
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigurationError(f"{POOL_SIZE_ENV} must be a whole number of connections, 1 or more")
    return int(raw)


# -- what a column can hold, checked the same on every database ------------------------------------
# SQLite keeps any text of any length and 64-bit integers; Postgres refuses NUL characters, text
# longer than VARCHAR(n) and integers beyond INTEGER. Checking before the driver sees a value gives
# a typed error, the same on both, instead of a driver exception from Postgres only.

_INT32 = (-(2**31), 2**31 - 1)


def _guarded(engine: Engine) -> Engine:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "before_cursor_execute", _check_values)
    event.listen(engine, "handle_error", _typed_database_error)
    return engine


def _check_values(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    compiled = getattr(context, "compiled", None)
    if not isinstance(compiled, SQLCompiler):
        return
    target = compiled.statement
    columns = target.table.c if isinstance(target, Insert | Update) else None
    for params in context.compiled_parameters:
        for name, value in params.items():
            if isinstance(value, str) and "\x00" in value:
                raise ValidationError("text with a NUL character (\\u0000) cannot be stored: remove it")
            if columns is not None and name in columns:
                _check_fits(name, columns[name].type, value)


def _check_fits(name: str, kind: object, value: object) -> None:
    if isinstance(kind, String) and kind.length and isinstance(value, str) and len(value) > kind.length:
        raise ValidationError(
            f"{name} is {len(value)} characters long; at most {kind.length} can be stored: shorten it"
        )
    low, high = _INT32
    integer = isinstance(kind, Integer) and not isinstance(kind, BigInteger)
    if integer and isinstance(value, int) and not low <= value <= high:
        raise ValidationError(f"{name} must be between {low} and {high}")


def _typed_database_error(context: ExceptionContext) -> None:
    # The driver's message can quote the value, which may be a secret: say only what to do.
    error = context.sqlalchemy_exception
    if isinstance(error, SQLDataError):
        raise ValidationError(
            "a value does not fit where the database stores it (too long, out of range or not text); "
            "nothing was saved"
        ) from None
    # On Postgres an OperationalError is the server away, restarting or a deadlock/lock timeout, all
    # worth a retry; on SQLite it also means a missing table or a bad file, which must stay loud.
    if isinstance(error, OperationalError) and context.dialect.name == "postgresql":
        raise DatabaseUnavailable(
            "Charter's database (CHARTER_DATABASE_URL) did not answer: it may be down, restarting or "
            "busy; retry shortly"
        ) from None


def create_tables(metadata: MetaData, engine: Engine) -> None:
    """Create missing tables; safe when several workers start at once."""
    if engine.dialect.name == "postgresql":
        # Postgres fails a CREATE TABLE that races another (duplicate pg_type row), and a failed
        # statement aborts the whole transaction: take turns under a transaction-scoped advisory lock.
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
            metadata.create_all(conn)
        return
    # SQLite has no lock to take: a table another worker creates between our look and our CREATE
    # fails the statement, and the next look skips it. Each such failure means one more table or
    # index exists, so one try per schema object always finishes.
    tries = sum(1 + len(table.indexes) for table in metadata.tables.values())
    for _ in range(tries):
        try:
            metadata.create_all(engine)
            return
        except OperationalError as error:
            if "already exists" not in str(error.orig):
                raise
    metadata.create_all(engine)


def _after_fork_in_child() -> None:
    # A forked worker must not use its parent's sockets; it opens its own connections on demand.
    for engine in [*_engines.values(), *_synced.values()]:
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


__all__ = [
    "POOL_SIZE_ENV",
    "UTCDateTime",
    "close_engines",
    "create_tables",
    "shared_engine",
    "sqlite_engine",
    "synced_engine",
]

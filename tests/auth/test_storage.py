"""The home's database: a real server behind each run, one pool per URL, values every database can hold."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Index, Integer, MetaData, Table, event, inspect, text

from charter.agents.approvals import ApprovalStore
from charter.agents.drafts import SQLWriteLedger
from charter.auth.grants import GrantAuthority
from charter.auth.home import CharterHome
from charter.auth.storage import POOL_SIZE_ENV, close_engines, create_tables, shared_engine
from charter.schemas import ConfigurationError, DatabaseUnavailable, ValidationError, WriteResult

UNREACHABLE = "postgresql://charter@127.0.0.1:9/charter"


def test_each_database_run_talks_to_the_database_it_names(home: CharterHome) -> None:
    with home.engine.connect() as db:
        if home.database_url is None:
            assert db.dialect.name == "sqlite"
            assert home.database_file.exists()
        else:
            # A real server, not an emulation: it reports its own version and schema.
            version = db.execute(text("SELECT version()")).scalar_one()
            assert version.startswith("PostgreSQL ")
            assert db.execute(text("SELECT current_schema()")).scalar_one().startswith("t_")
            assert not home.database_file.exists()


def test_a_worker_opens_one_pool_per_database_url(home: CharterHome) -> None:
    again = CharterHome(home.path / "elsewhere", database_url=home.database_url)
    if home.database_url is None:
        assert again.engine is not home.engine  # two SQLite homes are two files
    else:
        assert again.engine is home.engine


def test_stores_of_one_home_see_each_others_rows(home: CharterHome) -> None:
    issued = GrantAuthority(home).issue("mona", "triage-bot", ("conn_1",), ("read",), budget=3)
    other = GrantAuthority(CharterHome(home.path, database_url=home.database_url))
    other.consume(issued.id)
    assert GrantAuthority(home).get(issued.id).used == 1


@pytest.mark.parametrize("url", ["postgresql://u@127.0.0.1:9/x", "postgres://u@127.0.0.1:9/x"])
def test_a_plain_postgres_url_uses_the_psycopg_driver_the_extra_installs(url: str) -> None:
    try:
        assert shared_engine(url).dialect.driver == "psycopg"
    finally:
        close_engines()


def test_a_driver_that_is_not_installed_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"charter\[postgres\]"):
        shared_engine("postgresql+pg8000://u@127.0.0.1:9/x")


def test_a_url_that_is_not_a_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="postgresql://"):
        shared_engine("host=db user=charter")


@pytest.mark.parametrize("size", ["0", "-3", "ten", ""])
def test_a_bad_pool_size_is_a_configuration_error(size: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POOL_SIZE_ENV, size)
    with pytest.raises(ConfigurationError, match=POOL_SIZE_ENV):
        shared_engine(UNREACHABLE)


def test_the_pool_size_is_the_operators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POOL_SIZE_ENV, "3")
    try:
        pool = shared_engine(UNREACHABLE).pool
        assert pool.size() == 3  # type: ignore[attr-defined]
    finally:
        close_engines()


def test_a_closed_pool_reconnects_on_next_use(home: CharterHome) -> None:
    authority = GrantAuthority(home)
    issued = authority.issue("mona", "triage-bot", ("conn_1",), ("read",))
    close_engines()
    assert GrantAuthority(CharterHome(home.path, database_url=home.database_url)).get(issued.id).used == 0


HOSTILE = {
    "nul": "triage\x00bot",
    "too long": "a" * 256,
}


# The subject: agent names have their own stricter rule (ASCII, at most 64 characters).
@pytest.mark.parametrize("subject", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_value_no_database_can_hold_is_refused_alike_and_nothing_is_kept(
    home: CharterHome, subject: str
) -> None:
    authority = GrantAuthority(home)
    with pytest.raises(ValidationError) as refused:
        authority.issue(subject, "triage-bot", ("conn_1",), ("read",))
    assert subject not in refused.value.message
    assert authority.list() == []


def test_the_longest_value_a_column_holds_is_kept_whole(home: CharterHome) -> None:
    authority = GrantAuthority(home)
    subject = "é" * 255  # characters, not bytes: 510 bytes of UTF-8 still fit VARCHAR(255)
    issued = authority.issue(subject, "triage-bot", ("conn_1",), ("read",))
    assert authority.get(issued.id).claims.subject == subject


@pytest.mark.parametrize("budget", [2**31, 2**63])
def test_a_budget_beyond_what_the_database_counts_is_refused(home: CharterHome, budget: int) -> None:
    authority = GrantAuthority(home)
    with pytest.raises(ValidationError, match="budget"):
        authority.issue("mona", "triage-bot", ("conn_1",), ("read",), budget=budget)
    assert authority.list() == []
    assert authority.issue("mona", "triage-bot", ("conn_1",), ("read",), budget=2**31 - 1).claims.budget


@pytest.mark.parametrize("length", [511, 512, 513, 20_000])
def test_an_idempotency_key_of_any_length_is_kept_and_never_confused(home: CharterHome, length: int) -> None:
    ledger = SQLWriteLedger(home)
    key, near = "k" * length, "k" * (length - 1) + "q"
    ledger.put(key, WriteResult(action="post_note", id="1", idempotency_key=key))
    stored = ledger.get(key)
    assert stored is not None
    assert stored.id == "1"
    assert ledger.get(near) is None


def test_looking_up_an_id_with_a_nul_is_refused_not_crashed(home: CharterHome) -> None:
    with pytest.raises(ValidationError, match="NUL"):
        ApprovalStore(home).get("apr_\x00")


def test_a_nul_inside_json_text_is_stored_escaped(home: CharterHome) -> None:
    store = ApprovalStore(home)
    request = store.create(
        grant_id="grt_1", agent="triage-bot", subject="mona", tool="notes_post_note",
        args={"text": "a\x00b"}, preview="post a note", reasons=(), ttl=timedelta(hours=1),
    )  # fmt: skip
    assert store.get(request.id).args == {"text": "a\x00b"}


def test_without_the_postgres_binaries_the_database_tests_fail_with_the_install_hint(tmp_path: Path) -> None:
    """Missing binaries must not turn the Postgres half of the suite into skips that pass unseen."""
    env = {**os.environ, "CHARTER_TEST_POSTGRES_BIN": str(tmp_path / "nowhere")}
    env.pop("CHARTER_TEST_POSTGRES_URL", None)
    env.pop("CHARTER_TEST_DATABASES", None)
    test = f"{Path(__file__)}::test_each_database_run_talks_to_the_database_it_names"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        capture_output=True, text=True, env=env, timeout=120, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert done.returncode == 1, done.stdout
    assert "1 passed, 1 error" in done.stdout
    assert "apt-get install -y postgresql" in done.stdout
    assert "skipped" not in done.stdout


def test_an_unreachable_postgres_is_a_retryable_error_that_names_no_password(tmp_path: Path) -> None:
    home = CharterHome(tmp_path / "home", database_url="postgresql://charter:s3cretpw@127.0.0.1:9/charter")
    try:
        with pytest.raises(DatabaseUnavailable) as down:
            GrantAuthority(home)
    finally:
        close_engines()
    assert down.value.retryable
    assert "s3cretpw" not in str(down.value)
    assert "s3cretpw" not in str(down.value.__cause__)  # the driver's own error, kept for operators


def test_a_sqlite_url_gets_the_same_settings_as_the_homes_own_file(tmp_path: Path) -> None:
    home = CharterHome(tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'shared.db'}")
    try:
        with home.engine.connect() as db:
            assert db.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert db.execute(text("PRAGMA busy_timeout")).scalar_one() == 10000
    finally:
        close_engines()


def _schema(prefix: str, widen: float) -> MetaData:
    """Five tables with an index each, as a worker of its own would declare them."""
    metadata = MetaData()
    for n in range(5):
        columns = (Column("id", Integer, primary_key=True), Column("v", Integer))
        table = Table(f"{prefix}_{n}", metadata, *columns)
        Index(f"{prefix}_{n}_v", table.c.v)
        # Between "is it there?" and CREATE: where a second worker slips in.
        event.listen(table, "before_create", lambda *_, **__: time.sleep(widen))
    return metadata


def _race(home: CharterHome, create: Callable[[MetaData, Engine], None], prefix: str) -> list[BaseException]:
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def worker() -> None:
        metadata = _schema(prefix, widen=0.05)
        start.wait()
        try:
            create(metadata, home.engine)
        except BaseException as error:  # the test counts every failure
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_workers_creating_the_same_tables_at_once_all_start(home: CharterHome) -> None:
    prefix = f"race_{uuid.uuid4().hex[:8]}"
    control = f"{prefix}_control"
    try:
        # Control: plain create_all under the same overlap fails, so the race is really run.
        lost = _race(home, lambda metadata, engine: metadata.create_all(engine), control)
        assert lost
        assert all("already exists" in str(error) for error in lost)
        assert _race(home, create_tables, prefix) == []
        assert set(inspect(home.engine).get_table_names()) >= {f"{prefix}_{n}" for n in range(5)}
    finally:
        for name in (prefix, control):
            _schema(name, widen=0).drop_all(home.engine)

"""A real PostgreSQL server for the suite: a throwaway cluster on 127.0.0.1 from the Debian package.

initdb and pg_ctl come from /usr/lib/postgresql/*/bin (or PATH). Postgres refuses to run as root,
so under root the cluster belongs to the unprivileged `postgres` user the package creates. Each test
gets its own schema (milliseconds) rather than its own database (a copy of a template per test).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

INSTALL_HINT = (
    "the Postgres tests need the PostgreSQL server binaries (initdb, pg_ctl): "
    "apt-get install -y postgresql, or point CHARTER_TEST_POSTGRES_URL at a server you run"
)
# The server is thrown away after the run: durability settings only slow the suite down.
_THROWAWAY = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=300")


def postgres_bindir() -> Path:
    """Where initdb and pg_ctl are: CHARTER_TEST_POSTGRES_BIN, the newest Debian package's, or PATH's."""
    explicit = os.environ.get("CHARTER_TEST_POSTGRES_BIN")
    if explicit:
        if not (Path(explicit) / "initdb").exists():
            pytest.fail(
                f"CHARTER_TEST_POSTGRES_BIN={explicit} holds no initdb; " + INSTALL_HINT, pytrace=False
            )
        return Path(explicit)
    packaged = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    if packaged:
        return max(
            packaged, key=lambda bindir: int(bindir.parent.name) if bindir.parent.name.isdigit() else 0
        )
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    pytest.fail(INSTALL_HINT, pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A PostgreSQL server the tests may create and drop schemas on, reached by a superuser URL."""

    def __init__(self, url: str) -> None:
        self._url = make_url(url).set(drivername="postgresql+psycopg")
        self._admin = psycopg.connect(self._url.set(drivername="postgresql").render_as_string(False))
        self._admin.autocommit = True
        # A test that leaked a connection mid-transaction must not hang the next one's teardown.
        self._admin.execute("SET lock_timeout = '5s'")

    @classmethod
    def at(cls, url: str) -> PostgresServer:
        """A server someone else runs (CHARTER_TEST_POSTGRES_URL)."""
        return cls(url)

    @classmethod
    @contextmanager
    def start(cls) -> Iterator[PostgresServer]:
        """initdb into a temporary folder, start on a free loopback port, stop and delete afterwards."""
        cluster = _Cluster(postgres_bindir())
        try:
            port = cluster.start()
            server = cls(f"postgresql+psycopg://charter@127.0.0.1:{port}/postgres")
            try:
                yield server
            finally:
                server._admin.close()
        finally:
            cluster.stop()

    def url(self, schema: str) -> str:
        """A URL whose connections see `schema` only (libpq `options` sets their search_path)."""
        url = self._url.update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def create_schema(self) -> str:
        schema = f"t_{secrets.token_hex(6)}"
        self._admin.execute(f'CREATE SCHEMA "{schema}"')
        return schema

    def drop_schema(self, schema: str) -> None:
        # Still locked by a leaked connection after 5 s: the schema goes with the cluster at the end.
        with suppress(psycopg.errors.LockNotAvailable):
            self._admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


class _Cluster:
    """initdb + pg_ctl for one throwaway cluster, run as an unprivileged user when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_user: dict[str, Any] = {}
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail(
                    "Postgres refuses to run as root and there is no `postgres` user: " + INSTALL_HINT
                )
            self.as_user = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
        self.base = Path(tempfile.mkdtemp(prefix="charter-postgres-"))
        self.data = self.base / "data"
        if self.as_user:
            os.chown(self.base, self.as_user["user"], self.as_user["group"])

    def start(self) -> int:
        # Trust, on 127.0.0.1 and a socket in a private folder: a throwaway cluster of test data only.
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "charter",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        for _attempt in range(3):
            port = _free_port()
            options = [f"-c listen_addresses=127.0.0.1 -p {port} -k {self.base}"]
            options += [f"-c {setting}" for setting in _THROWAWAY]
            log = str(self.base / "server.log")
            started = self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                log,
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(options),
                "start",
                check=False,
            )
            if started.returncode == 0:
                return port
        log_text = (self.base / "server.log").read_text(errors="replace")[-2000:]
        pytest.fail(f"PostgreSQL did not start:\n{log_text}", pytrace=False)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(self.bindir / tool), *args], capture_output=True, text=True, check=False, **self.as_user
        )
        if check and done.returncode != 0:
            pytest.fail(f"{tool} failed: {done.stderr.strip() or done.stdout.strip()}", pytrace=False)
        return done

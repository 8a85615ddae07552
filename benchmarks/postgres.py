"""Target 1 on Postgres: the call's fixed cost beside one database round trip, audit appends per second.

The throwaway cluster is the one the test suite starts (initdb on loopback, deleted afterwards);
without Postgres binaries the figures are reported as not measured, with the reason.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from benchmarks import target_runs as runs
from benchmarks.remote_rigs import RemoteGitHubRig
from benchmarks.targets import Target

TESTS = Path(__file__).resolve().parents[1] / "tests"


@contextmanager
def postgres_schema() -> Iterator[str | None]:
    """The URL of an empty schema on a throwaway Postgres, or None when none can be started."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    try:
        from postgres_server import PostgresServer
    except ImportError:
        yield None
        return
    try:
        started = PostgresServer.start()
        server = started.__enter__()
    except BaseException:  # pytest.fail is how the helper says the binaries are missing
        yield None
        return
    try:
        yield server.url(server.create_schema())
    finally:
        started.__exit__(None, None, None)


def round_trip_ms(rig: RemoteGitHubRig, times: int = 200) -> float:
    """The median `SELECT 1` on the home's database: one round trip."""
    with rig.home.engine.connect() as conn:
        samples = []
        for _ in range(times):
            started = time.perf_counter()
            conn.execute(text("SELECT 1"))
            samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def postgres_targets(issues: int, calls: int, entries: int) -> list[Target]:
    name = "Toolkit.call fixed cost on Postgres / one round trip"
    with postgres_schema() as url:
        if url is None:
            return [Target(1, name, math.nan, 2.0, "x", "not measured: no Postgres binaries (initdb) here")]
        with RemoteGitHubRig(issues, database_url=url) as rig:
            [sqlite_like] = runs.call_cost(rig, calls)
            rtt = round_trip_ms(rig)
            own = runs.call_database_work(rig)
            rate = runs.audit_rates(rig.home, entries)[8]
    return [
        Target(
            1,
            name,
            sqlite_like.measured / rtt,
            2.0,
            "x",
            f"`SELECT 1` on the same connection pool ({rtt:.2f} ms)",
            note=f"fixed cost {sqlite_like.measured:.2f} ms; audit with 8 threads {rate:,.0f}/s; "
            f"a call makes {own.text()} (each checkout pings the server first)",
        )
    ]

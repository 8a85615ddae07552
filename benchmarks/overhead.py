"""Charter's per-call overhead: one read through the Toolkit, the bare connector, and raw PyGithub."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event

from benchmarks.figures import Figure, against_baseline
from benchmarks.rig import NOTHING, WEB, GitHubRig, call_ok
from charter.auth.home import CharterHome
from charter.auth.storage import synced_engine
from charter.connectors.github import ListIssues

RAW = "raw PyGithub get_issues().get_page(0)"
CONNECTOR = "connector.read(ListIssues)"
TOOLKIT = "Toolkit.call('github_list_issues')"


@dataclass(frozen=True)
class Overhead:
    """The figures of one latency setting and the per-call overheads drawn from them."""

    figures: list[Figure]
    toolkit_ms: float
    connector_ms: float
    raw_ms: float

    @property
    def runtime_ms(self) -> float:
        """What the agent runtime adds to a connector read: grant, validation, policy, budget, audit."""
        return self.toolkit_ms - self.connector_ms

    @property
    def charter_ms(self) -> float:
        """What Charter as a whole adds to the same read made with raw PyGithub."""
        return self.toolkit_ms - self.raw_ms


@dataclass(frozen=True)
class DatabaseWork:
    """What one run did on the home's database: statements, commits and connections taken from a pool."""

    statements: float
    commits: float
    checkouts: float

    def __sub__(self, other: DatabaseWork) -> DatabaseWork:
        return DatabaseWork(
            self.statements - other.statements, self.commits - other.commits, self.checkouts - other.checkouts
        )

    def text(self) -> str:
        return f"{self.statements:g} statements, {self.commits:g} commits, {self.checkouts:g} pool checkouts"


def database_work(home: CharterHome, work: Callable[[], object], times: int = 20) -> DatabaseWork:
    """Counted by the engines' own events (the audit's synced engine included), averaged over `times` runs."""
    counts = {"statement": 0, "commit": 0, "checkout": 0}

    def counter(kind: str) -> Callable[..., None]:
        def count(*_: Any) -> None:
            counts[kind] += 1

        return count

    engines: list[Engine] = list({id(e): e for e in (home.engine, synced_engine(home.engine))}.values())
    hooks = [("before_cursor_execute", "statement"), ("commit", "commit")]
    listening: list[tuple[object, str, Callable[..., None]]]
    listening = [(e, name, counter(kind)) for e in engines for name, kind in hooks]
    listening += [(e.pool, "checkout", counter("checkout")) for e in engines]
    for target, name, fn in listening:
        event.listen(target, name, fn)
    try:
        for _ in range(times):
            work()
    finally:
        for target, name, fn in listening:
            event.remove(target, name, fn)
    return DatabaseWork(counts["statement"] / times, counts["commit"] / times, counts["checkout"] / times)


def contenders(rig: GitHubRig) -> dict[str, Callable[[], object]]:
    """The same first page of acme/web's open issues, fetched three ways; each checks its answer."""
    repo = rig.pygithub(lazy=True).get_repo(WEB)
    connector = rig.connector()
    kit = rig.toolkit()

    def raw() -> object:
        return _nonempty(repo.get_issues(state="open").get_page(0))

    def bare() -> object:
        return _nonempty(connector.read(ListIssues(repo=WEB)).items)

    def agent() -> object:
        return _nonempty(call_ok(kit, "github_list_issues", {"repo": WEB})["items"])

    return {RAW: raw, CONNECTOR: bare, TOOLKIT: agent}


def measure_overhead(rig: GitHubRig, bench: str, calls: int, rounds: int) -> Overhead:
    """`calls` reads per contender, interleaved in `rounds` so drift over time hits each alike."""
    runs = contenders(rig)
    for work in runs.values():
        work()  # connections opened, caches filled: the figures are for the steady state
    totals = dict.fromkeys(runs, NOTHING)
    per_round = max(1, calls // rounds)
    for _ in range(rounds):
        for name, work in runs.items():
            totals[name] = totals[name] + rig.measure(work, per_round)
    done = per_round * rounds
    figures = against_baseline(bench, RAW, [(name, sample, done) for name, sample in totals.items()])
    ms = {f.scenario: f.per_run_ms for f in figures}
    return Overhead(figures, ms[TOOLKIT], ms[CONNECTOR], ms[RAW])


def _nonempty(items: object) -> object:
    if not isinstance(items, list) or not items:
        raise RuntimeError("the benchmark read came back empty; the sandbox seed is not what it expects")
    return items

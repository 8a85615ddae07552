"""Charter's per-call overhead: one read through the Toolkit, the bare connector, and raw PyGithub."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.figures import Figure, against_baseline
from benchmarks.rig import NOTHING, WEB, GitHubRig, call_ok
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

"""Repeat reads: listing acme/web's open issues again, with conditional requests and without."""

from __future__ import annotations

from benchmarks.figures import Figure, against_baseline
from benchmarks.rig import NOTHING, WEB, GitHubRig, Sample, list_all

NAIVE_FIRST = "naive PyGithub, first read"
NAIVE_REPEAT = "naive PyGithub, repeat read (no ETag)"
FIRST = "Charter Toolkit, first read"
REPEAT = "Charter Toolkit, repeat read (ETag -> 304)"


def measure_repeat_reads(rig: GitHubRig, bench: str, rounds: int) -> list[Figure]:
    """Every page of acme/web's open issues, read twice by a new Toolkit and by plain PyGithub, per round."""
    totals = dict.fromkeys((NAIVE_FIRST, NAIVE_REPEAT, FIRST, REPEAT), NOTHING)
    for _ in range(rounds):
        for name, sample in _one_round(rig).items():
            totals[name] = totals[name] + sample
    return against_baseline(bench, NAIVE_REPEAT, [(name, s, rounds) for name, s in totals.items()])


def _one_round(rig: GitHubRig) -> dict[str, Sample]:
    kit = rig.toolkit()
    kit.call("github_get_repo", {"repo": WEB})  # connector built and connected; listing caches still empty
    first = rig.measure(lambda: list_all(kit, WEB))
    repeat = rig.measure(lambda: list_all(kit, WEB))
    repo = rig.pygithub().get_repo(WEB)
    naive_first = rig.measure(lambda: list(repo.get_issues(state="open")))
    naive_repeat = rig.measure(lambda: list(repo.get_issues(state="open")))
    return {NAIVE_FIRST: naive_first, NAIVE_REPEAT: naive_repeat, FIRST: first, REPEAT: repeat}

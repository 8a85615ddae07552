"""Repeat reads: listing acme/web's open issues again, with conditional requests and without."""

from __future__ import annotations

from benchmarks.figures import Figure, against_baseline
from benchmarks.rig import WEB, GitHubRig, list_all

NAIVE_FIRST = "naive PyGithub, first read"
NAIVE_REPEAT = "naive PyGithub, repeat read (no ETag)"
FIRST = "Charter Toolkit, first read"
REPEAT = "Charter Toolkit, repeat read (ETag -> 304)"


def measure_repeat_reads(rig: GitHubRig, bench: str) -> list[Figure]:
    """Every page of acme/web's open issues, read twice by the Toolkit and twice by plain PyGithub."""
    kit = rig.toolkit()
    kit.call("github_get_repo", {"repo": WEB})  # connector built and connected; listing caches still empty
    first = rig.measure(lambda: list_all(kit, WEB))
    repeat = rig.measure(lambda: list_all(kit, WEB))
    repo = rig.pygithub().get_repo(WEB)
    naive_first = rig.measure(lambda: list(repo.get_issues(state="open")))
    naive_repeat = rig.measure(lambda: list(repo.get_issues(state="open")))
    rows = [
        (NAIVE_FIRST, naive_first, 1),
        (NAIVE_REPEAT, naive_repeat, 1),
        (FIRST, first, 1),
        (REPEAT, repeat, 1),
    ]
    return against_baseline(bench, NAIVE_REPEAT, rows)
